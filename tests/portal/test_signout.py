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


def test_logoff_names_the_idp_of_the_latest_sign_in_with_the_sessions_protocol(client, settings):
    saml_backend = "djangosaml2.backends.Saml2Backend"
    settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, saml_backend]
    user = UserFactory()
    AuthEventFactory(user=user, protocol="password", idp="")
    AuthEventFactory(user=user, protocol="saml2", idp="https://old-idp/")
    AuthEventFactory(user=user, protocol="saml2", idp="https://idp.contoso.com/")
    client.force_login(user, backend=saml_backend)

    client.post("/logout/")

    event = AuthEvent.objects.get(event_type=EventType.LOGOFF)
    assert (event.protocol, event.idp) == ("saml2", "https://idp.contoso.com/")


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
