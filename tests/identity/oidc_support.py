"""Fixtures and helpers for the OpenID Connect tests: a real provider on loopback.

The development provider (devidp.oidc) runs on an ephemeral 127.0.0.1 port and
signs real RS256 tokens; the relying party talks to it over real HTTP. The browser's
part of the code flow (following redirects, posting the provider's login form) is
played with `requests` here, and by chromium in test_oidc_browser.py.
"""

from __future__ import annotations

import socket
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from devidp.oidc import DevelopmentProvider, run_in_thread
from identity.oidc import reset_provider_cache

CLIENT_ID = "workportal-tests"
CLIENT_SECRET = "tests-only-secret"
# The development provider accepts loopback redirect URIs only, as a real
# registration would accept only the portal's own.
PORTAL_HOST = "127.0.0.1"


@pytest.fixture
def oidc_provider():
    """A running development provider, stopped after the test."""
    provider = DevelopmentProvider(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    run_in_thread(provider)
    yield provider
    provider.stop()


@pytest.fixture
def oidc_settings(settings, oidc_provider, db):
    """Point the portal at the running provider, in development mode, with cold caches."""
    settings.DEBUG = True  # the development provider is refused otherwise
    settings.OIDC_OP_DISCOVERY_URL = oidc_provider.discovery_url
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_PRESET = "generic"
    settings.OIDC_ALLOWED_TENANTS = []
    reset_provider_cache()
    yield settings
    reset_provider_cache()


@pytest.fixture
def portal(client):
    """The Django test client, seen by the provider as a loopback portal."""
    client.defaults["HTTP_HOST"] = PORTAL_HOST
    return client


def start_sign_in(portal, *, next_url: str | None = None) -> str:
    """Ask the portal to start a sign-in; return the provider's authorization URL."""
    response = portal.get("/oidc/authenticate/", {"next": next_url} if next_url else {})
    assert response.status_code == 302, response.content[:500]
    return response["Location"]


def choose_person(authorize_url: str, person: str = "adele", *, deny: bool = False) -> str:
    """Play the browser at the provider: load its login page, pick a person (or cancel).

    Return the callback URL the provider redirects to, as a path with its query.
    """
    page = requests.get(authorize_url, timeout=5)
    assert page.status_code == 200, page.text[:500]
    assert "DEVELOPMENT ONLY" in page.text
    parts = urlsplit(authorize_url)
    form = dict(parse_qsl(parts.query))
    form.update({"action": "deny"} if deny else {"person": person})
    answer = requests.post(
        f"{parts.scheme}://{parts.netloc}/authorize", data=form, allow_redirects=False, timeout=5
    )
    assert answer.status_code == 302, answer.text[:500]
    location = urlsplit(answer.headers["Location"])
    assert location.hostname == PORTAL_HOST
    return f"{location.path}?{location.query}"


def sign_in(portal, person: str = "adele", *, next_url: str | None = None):
    """Run the whole code flow for `person`; return the portal's callback response."""
    return portal.get(choose_person(start_sign_in(portal, next_url=next_url), person))


def closed_port_url() -> str:
    """Return a loopback URL on which nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/.well-known/openid-configuration"
