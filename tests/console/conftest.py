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
