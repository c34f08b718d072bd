"""The console in a real headless chromium: the admin's three everyday jobs."""

import pytest
from playwright.sync_api import expect

from audit.models import EventType, SubEventType
from console.properties import jit_settings
from identity.models import User
from tests.factories import AuthEventFactory, RoleFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_admin_switches_auto_provisioning_on_and_sets_default_roles(admin_page, live_server):
    RoleFactory(name="Approver")
    page = admin_page

    page.get_by_role("link", name="Properties").click()
    switch = page.get_by_label("AutoProvisionUsers")
    expect(switch).not_to_be_checked()
    switch.check()
    page.locator("form", has=switch).get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("AutoProvisionUsers is now 'true'")
    expect(page.get_by_label("AutoProvisionUsers")).to_be_checked()

    page.get_by_label("RolesForAutoProvisionedUsers").fill("Approver, Ghost")
    roles_form = page.locator("form", has=page.get_by_label("RolesForAutoProvisionedUsers"))
    roles_form.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("No role is named Ghost")

    settings = jit_settings()
    assert settings.auto_provision is True
    assert settings.default_roles == ("Approver", "Ghost")


def test_an_admin_filters_the_auth_log_to_refused_sign_ins(admin_page, live_server):
    AuthEventFactory(username="happy", domain="contoso.com")
    AuthEventFactory(username="stranger", domain="contoso.com",
                     event_type=EventType.FAILED_LOGIN, sub_event=SubEventType.USER_NOT_FOUND)
    AuthEventFactory(username="leaver", domain="fabrikam.com",
                     event_type=EventType.FAILED_LOGIN, sub_event=SubEventType.USER_NOT_ENABLED)
    page = admin_page

    page.get_by_role("link", name="Authentication log").click()
    rows = page.locator("table.list tbody tr")
    expect(rows).to_have_count(4)  # three events and the admin's own password sign-in

    page.get_by_role("link", name="Refused sign-ins").click()
    expect(rows).to_have_count(2)
    expect(page.locator("table.list tbody")).not_to_contain_text("happy")

    page.get_by_label("Domain").fill("FABRIKAM.com")
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("leaver")
    expect(rows.first).to_contain_text("User not enabled")
    assert "event_type=failed_login" in page.url


def test_an_admin_deactivates_a_user(admin_page, live_server):
    UserFactory(username="jane.doe", domain="contoso.com", full_name="Jane Doe")
    UserFactory(username="john", domain="contoso.com")
    page = admin_page

    page.get_by_role("link", name="Users", exact=True).click()
    page.get_by_label("Search").fill("jane")
    page.get_by_role("button", name="Filter").click()
    page.get_by_role("link", name="jane.doe").click()
    page.get_by_role("link", name="Deactivate").click()
    expect(page.locator("main")).to_contain_text("Nothing is deleted")
    page.get_by_role("button", name="Deactivate").click()

    expect(page.get_by_role("status")).to_contain_text("jane.doe@contoso.com was deactivated")
    expect(page.locator("main")).to_contain_text("Inactive")
    assert User.objects.get(username="jane.doe").is_active is False
    assert User.objects.get(username="john").is_active is True


@pytest.mark.parametrize("width", [375, 1280])
def test_console_pages_fit_the_screen_on_a_phone_and_a_laptop(admin_page, live_server, width):
    UserFactory.create_batch(5)
    page = admin_page
    page.set_viewport_size({"width": width, "height": 800})
    for path in ["/console/", "/console/properties/", "/console/users/", "/console/auth-log/",
                 "/console/preview/"]:
        page.goto(f"{live_server.url}{path}")
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} is {overflow}px wider than a {width}px screen"
