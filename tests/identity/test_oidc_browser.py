"""The OpenID Connect round trip in a real browser (Debian's chromium via Playwright).

The portal runs on pytest-django's live server, the development provider on its own
loopback port; chromium follows every redirect and clicks the provider's login page.
"""


import pytest

from audit.models import AuthEvent, SubEventType
from identity.models import User
from identity.oidc import reset_provider_cache
from tests.identity.oidc_support import CLIENT_ID, CLIENT_SECRET

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

@pytest.fixture
def page(browser):
    context = browser.new_context()
    yield context.new_page()
    context.close()


@pytest.fixture
def portal_with_oidc(live_server, settings, oidc_provider):
    settings.DEBUG = True
    settings.OIDC_OP_DISCOVERY_URL = oidc_provider.discovery_url
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.SAML_IDP_METADATA = []  # one sign-in method: "/" goes straight to the provider
    reset_provider_cache()
    yield live_server.url
    reset_provider_cache()


def test_first_sign_in_in_a_browser_creates_the_account_and_lands_home(
    portal_with_oidc, page, jit_on
):
    page.goto(f"{portal_with_oidc}/")

    # Signed out, "/" sends the browser to the provider's login page.
    assert "DEVELOPMENT ONLY" in page.content()
    page.get_by_role("button", name="Sign in as Megan Bowen").click()
    page.wait_for_url(f"{portal_with_oidc}/")

    assert page.get_by_role("heading", name="Welcome, Megan Bowen").is_visible()
    user = User.objects.get()
    assert (user.username, user.domain, user.email) == (
        "MeganB", "contoso.com", "megan.bowen@contoso.com"
    )
    assert AuthEvent.objects.get().sub_event == SubEventType.AUTO_PROVISIONED


def test_cancelled_sign_in_in_a_browser_shows_the_refusal_page(portal_with_oidc, page, jit_on):
    page.goto(f"{portal_with_oidc}/oidc/authenticate/")
    page.get_by_role("button", name="Cancel sign-in").click()
    page.wait_for_url(f"{portal_with_oidc}/oidc/callback/**")

    assert page.get_by_role("heading", name="We could not verify your sign-in").is_visible()
    event = AuthEvent.objects.get()
    assert "error=access_denied" in event.detail["reason"]
    assert not User.objects.exists()
