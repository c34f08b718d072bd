import pytest
from django.test import Client

from audit.models import AuthEvent, EventType, SubEventType
from tests.factories import AuthEventFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD_BACKEND = "identity.backends.PasswordBackend"


def test_signing_out_ends_the_session_and_records_logoff(client):
    user = UserFactory(username="john.doe", domain="contoso.com")
    client.force_login(user, backend=PASSWORD_BACKEND)

    response = client.post("/logout/", REMOTE_ADDR="10.1.2.3", HTTP_USER_AGENT="Tester/1")

    assert response.status_code == 302
    assert response["Location"] == "/logout/"
    event = AuthEvent.objects.get(event_type=EventType.LOGOFF)
    assert event.sub_event == SubEventType.LOGOFF
    assert (event.user, event.username, event.domain) == (user, "john.doe", "contoso.com")
    assert (event.client_ip, event.user_agent) == ("10.1.2.3", "Tester/1")
    assert event.protocol == "password"
    assert "_auth_user_id" not in client.session


def test_the_page_after_signing_out_does_not_send_back_to_the_idp(client):
    client.force_login(UserFactory())

    page = client.post("/logout/", follow=True)

    assert page.status_code == 200
    assert "You have signed out" in page.content.decode()


def test_a_saml_session_signs_out_locally_when_the_idp_has_no_single_logout(
    client, saml_idps, saml_sign_in
):
    [idp] = saml_idps(single_logout=False)
    user = UserFactory(username="adele.vance", domain="contoso.com")
    AuthEventFactory(user=user, protocol="password", idp="")
    assert saml_sign_in(idp, "adele.vance@contoso.com")["Location"] == "/"

    response = client.post("/logout/")

    assert response["Location"] == "/logout/"
    event = AuthEvent.objects.get(event_type=EventType.LOGOFF)
    assert (event.user, event.protocol, event.idp) == (user, "saml2", "https://idp.contoso.test/")
    assert "_auth_user_id" not in client.session


def test_a_saml_session_uses_the_idps_single_logout_when_it_has_one(
    client, saml_idps, saml_sign_in
):
    [idp] = saml_idps(single_logout=True)
    user = UserFactory(username="adele.vance", domain="contoso.com")
    saml_sign_in(idp, "adele.vance@contoso.com")

    response = client.post("/logout/")

    assert response["Location"] == "/saml2/logout/"
    event = AuthEvent.objects.get(event_type=EventType.LOGOFF)
    assert (event.user, event.protocol) == (user, "saml2")
    # djangosaml2 ends the portal session and sends a LogoutRequest to the IdP.
    at_idp = client.get(response["Location"])
    assert at_idp.status_code == 302
    assert at_idp["Location"].startswith("https://idp.contoso.test/saml/slo?SAMLRequest=")
    assert "_auth_user_id" not in client.session


def test_a_get_asks_before_signing_out(client):
    client.force_login(UserFactory())

    page = client.get("/logout/").content.decode()

    assert "Sign out?" in page
    assert not AuthEvent.objects.filter(event_type=EventType.LOGOFF).exists()
    assert "_auth_user_id" in client.session


def test_a_cross_site_post_cannot_sign_anyone_out():
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory())

    response = client.post("/logout/")

    assert response.status_code == 403
    assert "Please try again" in response.content.decode()
    assert not AuthEvent.objects.filter(event_type=EventType.LOGOFF).exists()
    assert "_auth_user_id" in client.session


def test_signing_out_when_signed_out_records_nothing(client):
    response = client.post("/logout/")

    assert response["Location"] == "/logout/"
    assert not AuthEvent.objects.exists()
