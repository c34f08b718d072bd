"""The console login: break-glass passwords, and SSO links when SSO is installed."""

import pytest
from django.urls import reverse

from audit.models import AuthEvent, SubEventType
from identity.models import User
from tests.saml_idp import TestIdP, generate_key_pair, sp_saml_config

pytestmark = pytest.mark.django_db

LOGIN = reverse("console:login")


@pytest.fixture
def break_glass():
    return User.objects.create_superuser("root", "contoso.com", password="a-long-Passw0rd!")


@pytest.mark.parametrize("account", ["root@contoso.com", "CONTOSO.COM\\root", "Root@Contoso.com"])
def test_a_break_glass_admin_signs_in_with_a_password(client, break_glass, account):
    response = client.post(LOGIN, {"username": account, "password": "a-long-Passw0rd!"})

    assert response.status_code == 302
    assert response["Location"] == reverse("console:home")
    assert client.get(reverse("console:home")).status_code == 200


def test_a_password_sign_in_is_recorded_in_the_authentication_log(client, break_glass):
    client.post(LOGIN, {"username": "root@contoso.com", "password": "a-long-Passw0rd!"})

    event = AuthEvent.objects.get()
    assert (event.sub_event, event.user, event.protocol) == (
        SubEventType.SUCCESSFUL_LOGIN, break_glass, "password"
    )


def test_a_wrong_password_is_refused_with_a_message(client, break_glass):
    response = client.post(LOGIN, {"username": "root@contoso.com", "password": "wrong"})

    assert response.status_code == 200
    assert "do not match a console administrator" in response.text
    assert "_auth_user_id" not in client.session


def test_an_employee_without_password_cannot_use_the_form(client, db):
    User.objects.create_user("jane", "contoso.com")  # unusable password, like every employee

    response = client.post(LOGIN, {"username": "jane@contoso.com", "password": ""})

    assert "_auth_user_id" not in client.session
    assert response.status_code == 200


def test_next_is_followed_after_sign_in(client, break_glass):
    target = reverse("console:user_list")
    response = client.post(
        f"{LOGIN}?next={target}",
        {"username": "root@contoso.com", "password": "a-long-Passw0rd!", "next": target},
    )
    assert response["Location"] == target


def test_an_outside_next_is_ignored(client, break_glass):
    response = client.post(
        LOGIN,
        {"username": "root@contoso.com", "password": "a-long-Passw0rd!",
         "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("console:home")


OIDC_DISCOVERY = "https://login.example/.well-known/openid-configuration"


@pytest.fixture
def oidc_configured(settings):
    settings.OIDC_OP_DISCOVERY_URL = OIDC_DISCOVERY
    settings.OIDC_PROVIDER_NAME = "Contoso ID"


@pytest.fixture
def saml_configured(settings, tmp_path):
    """One trusted SAML IdP, configured the way the SAML tests do it."""
    idp = TestIdP(
        tmp_path, entity_id="https://idp.contoso.test/",
        key_pair=generate_key_pair(tmp_path, common_name="contoso test", stem="contoso"),
        display_name="Contoso",
    )
    settings.SAML_CONFIG = sp_saml_config(
        settings.SAML_CONFIG, idps=[idp],
        sp_key_pair=generate_key_pair(tmp_path, common_name="sp test", stem="sp"),
    )


@pytest.mark.urls("tests.console.sso_urls")
def test_sso_that_is_installed_but_not_configured_shows_no_link(client):
    response = client.get(LOGIN)

    assert "Sign in with" not in response.text


@pytest.mark.urls("tests.console.no_sso_urls")
def test_sso_that_is_configured_but_not_installed_shows_no_link(client, oidc_configured):
    response = client.get(LOGIN)

    assert "Sign in with" not in response.text


@pytest.mark.urls("tests.console.sso_urls")
def test_configured_sso_links_lead_back_to_the_console(client, oidc_configured, saml_configured):
    response = client.get(LOGIN)

    assert response.context["sso_links"] == [
        ("Sign in with Contoso",
         "/saml2/login/?idp=https%3A%2F%2Fidp.contoso.test%2F&next=%2Fconsole%2F"),
        ("Sign in with Contoso ID", "/oidc/authenticate/?next=%2Fconsole%2F"),
    ]


@pytest.mark.urls("tests.console.sso_urls")
def test_sso_links_keep_the_page_asked_for(client, oidc_configured):
    response = client.get(f"{LOGIN}?next=/console/users/")

    assert 'href="/oidc/authenticate/?next=%2Fconsole%2Fusers%2F"' in response.text


@pytest.mark.urls("tests.console.sso_urls")
def test_sso_links_never_carry_an_outside_next(client, oidc_configured):
    response = client.get(f"{LOGIN}?next=https://evil.example/")

    assert response.context["sso_links"] == [
        ("Sign in with Contoso ID", "/oidc/authenticate/?next=%2Fconsole%2F")
    ]
