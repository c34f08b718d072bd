"""Shared fixtures. Tests run on SQLite by default and on PostgreSQL when DATABASE_URL says so."""

import pytest
from django.db import connection

from console.services import set_property
from tests.browser import CHROMIUM, chromium


def pytest_collection_modifyitems(config, items):
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"]
    if engine.endswith("postgresql"):
        return
    skip = pytest.mark.skip(
        reason="needs PostgreSQL: set DATABASE_URL=postgres://postgres@127.0.0.1:5432/workportal"
    )
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def jit_on(db):
    """Switch AutoProvisionUsers on, as an admin would."""
    set_property(key="AutoProvisionUsers", value="true", actor_name="test")


@pytest.fixture
def on_postgres():
    return connection.vendor == "postgresql"


@pytest.fixture
def browser():
    """Debian's chromium through Playwright (install it with scripts/bootstrap.sh --browser)."""
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's chromium: scripts/bootstrap.sh --browser")
    with chromium() as chromium_browser:
        yield chromium_browser
