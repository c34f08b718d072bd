"""The full SP-initiated SAML round trip in a real browser (Debian's chromium).

The portal runs as a live server, the development IdP (devidp/saml.py) on another
loopback port, both on 127.0.0.1 and over plain http, as in the one-command demo:
the SAML cookie is SameSite=Lax there, which works because ports do not count for
same-site (docs/saml.md explains production's SameSite=None + Secure).
"""

import pytest

from console.services import set_property
from devidp.saml import run_in_thread
from identity.models import User
from tests.saml_idp import sp_saml_config

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

@pytest.fixture
def page(browser):
    page = browser.new_page()
    yield page
    page.close()


@pytest.fixture
def portal_with_devidp(live_server, settings, saml_keys, tmp_path):
    """The portal (live server) trusting the development IdP (DEBUG on, as in the demo)."""
    portal = live_server.url.replace("localhost", "127.0.0.1")
    idp_url, stop = run_in_thread(sp_metadata=f"{portal}/saml2/metadata/", state_dir=tmp_path)
    settings.DEBUG = True
    settings.SAML_CONFIG = sp_saml_config(
        settings.SAML_CONFIG,
        sp_key_pair=saml_keys.sp,
        metadata_urls=[f"{idp_url}/metadata"],
        public_url=portal,
    )
    set_property(key="AutoProvisionUsers", value="true", actor_name="test")
    yield portal, idp_url
    stop()


def test_a_new_person_signs_in_through_the_development_idp_and_lands_signed_in(
    page, portal_with_devidp
):
    portal, idp_url = portal_with_devidp

    page.goto(f"{portal}/saml2/login/?next=/")
    assert page.url.startswith(f"{idp_url}/sso/redirect")
    assert "DEVELOPMENT ONLY" in page.content()
    page.get_by_role("button", name="Nestor Wilke").click()
    page.wait_for_url(f"{portal}/")

    assert "Nestor Wilke" in page.content()
    user = User.objects.get()
    assert (user.username, user.domain, user.auto_provisioned) == (
        "nestor.wilke",
        "contoso.com",
        True,
    )
