"""Debian's chromium driven by Playwright: the one way the tests start a browser.

Playwright cannot download a browser here; it is pointed at Debian's chromium
(installed by scripts/bootstrap.sh --browser) and started without the background
networking that a closed network refuses.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from django.db import connections
from playwright.sync_api import Browser, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@contextlib.contextmanager
def chromium() -> Iterator[Browser]:
    """Start Debian's chromium headless; close it and this context's connections after.

    Playwright's sync API keeps an event loop running on this thread, which Django
    takes for an async context: the test's own ORM calls are still plain synchronous
    code, so they are allowed for as long as the browser runs.
    """
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
            )
            try:
                yield browser
            finally:
                browser.close()
                # Django files the connections opened meanwhile under the loop's context.
                # Closed here, or they outlive the test and keep PostgreSQL from dropping
                # the test database.
                connections.close_all()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous
