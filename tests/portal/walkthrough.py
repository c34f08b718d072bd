"""The README walkthrough (docs/demo.md), driven in a real browser.

Reading guide: `run_walkthrough`
is docs/demo.md step by step against a running portal whose SAML IdP is the development
IdP: a new person is refused, an admin switches AutoProvisionUsers on with a default role
in the console, the person signs in again and finds the role's work, and the auth log
shows Login / Auto-provisioned user. Both the browser test and the demo-script test use it.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from playwright.sync_api import Page, expect

NEW_HIRE = "Nestor Wilke"
NEW_HIRE_USERNAME, NEW_HIRE_DOMAIN = "nestor.wilke", "contoso.com"
DEFAULT_ROLE = "Employee"
ROLE_WORK = ["Complete your security awareness training", "Confirm your emergency contact"]
OTHER_WORK = "Approve purchase order PO-1042"  # the Approver role's: never in Nestor's inbox
SAML_LABEL = re.compile("Development IdP \\(SAML\\)")


@dataclass(frozen=True)
class Walkthrough:
    refusal_reference: str
    auth_log: list[dict[str, str]]  # the console's CSV export, newest first


def run_walkthrough(page: Page, *, base_url: str, admin: str, password: str) -> Walkthrough:
    """Run docs/demo.md's walkthrough; assert what the newcomer should see at each step."""
    page.set_default_timeout(20_000)

    # 1. A new person signs in while JIT is off: refused, with a reference.
    sign_in_at_saml_idp(page, base_url=base_url, person=NEW_HIRE)
    expect(page.get_by_role("heading", name="Your account has not been set up")).to_be_visible()
    reference = page.locator(".reference").inner_text()

    # 2. The console admin switches AutoProvisionUsers on with a default role.
    console_sign_in(page, base_url=base_url, admin=admin, password=password)
    page.get_by_role("navigation").get_by_role("link", name="Properties").click()
    auto = page.locator("form[action$='/AutoProvisionUsers/edit/']")
    auto.locator("input[type=checkbox]").check()
    auto.get_by_role("button", name="Save").click()
    roles = page.locator("form[action$='/RolesForAutoProvisionedUsers/edit/']")
    roles.locator("input[name=value]").fill(DEFAULT_ROLE)
    roles.get_by_role("button", name="Save").click()
    sign_out(page)

    # 3. The person signs in again: account created, the role's work is waiting.
    sign_in_at_saml_idp(page, base_url=base_url, person=NEW_HIRE)
    expect(page.get_by_test_id("auto-provisioned")).to_contain_text(
        "Your account was created automatically on first sign-in"
    )
    expect(page.get_by_test_id("username")).to_have_text(NEW_HIRE_USERNAME)
    expect(page.get_by_test_id("domain")).to_have_text(NEW_HIRE_DOMAIN)
    expect(page.get_by_test_id("roles")).to_contain_text(DEFAULT_ROLE)
    inbox = page.locator(".portal-inbox")
    for title in ROLE_WORK:
        expect(inbox).to_contain_text(title)
    expect(inbox).not_to_contain_text(OTHER_WORK)
    first = page.get_by_test_id("work-item").filter(has_text=ROLE_WORK[0])
    first.get_by_role("button", name="Claim").click()
    expect(page.locator(".messages")).to_contain_text("is yours now")
    page.get_by_test_id("work-item").filter(has_text=ROLE_WORK[0]).get_by_role(
        "button", name="Complete"
    ).click()
    expect(page.locator(".messages")).to_contain_text("is done")
    sign_out(page)

    # 4. The authentication log tells the story.
    console_sign_in(page, base_url=base_url, admin=admin, password=password)
    page.get_by_role("navigation").get_by_role("link", name="Authentication log").click()
    nestor = page.locator("main table tbody tr").filter(has_text=NEW_HIRE_USERNAME)
    expect(nestor).to_have_count(3)
    expect(nestor.nth(0)).to_contain_text("Logoff")
    expect(nestor.nth(1)).to_contain_text("Auto-provisioned user")
    expect(nestor.nth(2)).to_contain_text("User not found")
    export = page.request.get(
        f"{base_url}/console/auth-log/?format=csv&user={NEW_HIRE_USERNAME}@{NEW_HIRE_DOMAIN}"
    )
    assert export.ok, export.status
    rows = list(csv.DictReader(io.StringIO(export.text())))
    sign_out(page)
    return Walkthrough(refusal_reference=reference, auth_log=rows)


def sign_in_at_saml_idp(page: Page, *, base_url: str, person: str) -> None:
    """Open the portal, pick the development SAML IdP if asked, and be `person` there."""
    page.goto(f"{base_url}/")
    if page.url.startswith(f"{base_url}/login/"):
        page.get_by_role("link", name=SAML_LABEL).click()
    page.get_by_role("button", name=person).click()
    page.wait_for_url(f"{base_url}/**")
    page.wait_for_load_state()


def console_sign_in(page: Page, *, base_url: str, admin: str, password: str) -> None:
    page.goto(f"{base_url}/console/login/")
    page.get_by_label("Account").fill(admin)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="You have signed out")).to_be_visible()
