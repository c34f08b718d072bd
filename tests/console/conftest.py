import pytest

from tests.factories import StaffUserFactory, UserFactory


@pytest.fixture
def admin_user(db):
    return StaffUserFactory(username="admin", domain="contoso.com", full_name="Ada Admin")


@pytest.fixture
def staff_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def employee_client(client, db):
    client.force_login(UserFactory(username="employee", domain="contoso.com"))
    return client


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]


@pytest.fixture
def browser(monkeypatch):
    """Debian's chromium driven by Playwright (install it with scripts/bootstrap.sh --browser)."""
    import os

    if not os.path.exists(CHROMIUM):
        pytest.skip("needs Debian's chromium: scripts/bootstrap.sh --browser")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; the test's own ORM
    # calls are still plain synchronous code.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def console_admin(transactional_db):
    from identity.models import User

    return User.objects.create_superuser(
        "admin", "contoso.com", email="admin@contoso.com", password="break-glass-Passw0rd"
    )


@pytest.fixture
def admin_page(browser, live_server, console_admin):
    """A browser tab signed in to the console through its password form."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(10_000)
    page.goto(f"{live_server.url}/console/")
    page.get_by_label("Account").fill("admin@contoso.com")
    page.get_by_label("Password").fill("break-glass-Passw0rd")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/console/")
    yield page
    page.close()
