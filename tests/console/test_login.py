"""The console login: break-glass passwords, and SSO links when SSO is installed."""

import pytest
from django.urls import reverse

from audit.models import AuthEvent, SubEventType
from identity.models import User

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


@pytest.mark.urls("tests.console.no_sso_urls")
def test_without_sso_installed_the_page_shows_no_sso_links(client):
    response = client.get(LOGIN)

    assert "Sign in with SAML" not in response.text
    assert "Sign in with OpenID Connect" not in response.text


@pytest.mark.urls("tests.console.sso_urls")
def test_with_sso_installed_the_page_links_to_it_back_to_the_console(client):
    response = client.get(LOGIN)

    assert 'href="/saml2/login/?next=%2Fconsole%2F"' in response.text
    assert 'href="/oidc/authenticate/?next=%2Fconsole%2F"' in response.text


@pytest.mark.urls("tests.console.sso_urls")
def test_sso_links_keep_the_page_asked_for(client):
    response = client.get(f"{LOGIN}?next=/console/users/")

    assert 'href="/saml2/login/?next=%2Fconsole%2Fusers%2F"' in response.text
