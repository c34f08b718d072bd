"""Refusal and error pages: written for employees, never a stack trace."""

import pytest
from django.test import Client, RequestFactory
from django.urls import path

from identity.claims import identity_from_oidc
from identity.refusals import refusal_response, response_for_outcome
from provisioning.services import provision_user, refuse_invalid_response
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def render(response):
    response.render()
    return response.content.decode()


def sign_in(upn):
    """Run a real (already validated) OIDC identity through provisioning."""
    identity = identity_from_oidc(
        claims={"sub": "1", "upn": upn, "email": upn}, idp="https://login.contoso.com/"
    )
    return provision_user(identity=identity, request=RequestFactory().get("/oidc/callback/"))


def test_an_unknown_person_with_jit_off_is_told_their_account_is_not_set_up():
    outcome = sign_in("new.person@contoso.com")
    response = response_for_outcome(RequestFactory().get("/"), outcome)

    page = render(response)
    assert response.status_code == 403
    assert "Your account has not been set up" in page
    assert "Ask your Work Portal administrator" in page
    assert f"Reference for your administrator: {outcome.event.pk}" in page


def test_a_disabled_person_is_told_their_account_is_disabled():
    UserFactory(username="gone", domain="contoso.com", is_active=False)
    outcome = sign_in("gone@contoso.com")
    response = response_for_outcome(RequestFactory().get("/"), outcome)

    page = render(response)
    assert "Your account is disabled" in page
    assert "contact your Work Portal administrator" in page
    assert str(outcome.event.pk) in page


def test_an_invalid_response_is_told_we_could_not_verify_the_sign_in():
    event = refuse_invalid_response(reason="signature did not verify", protocol="saml2")
    response = refusal_response(RequestFactory().get("/"), kind="invalid", reference=event.pk)

    page = render(response)
    assert "We could not verify your sign-in" in page
    assert "Try signing in again" in page
    assert "signature did not verify" not in page  # the reason is for the admin's log only


def test_every_refusal_page_leads_back_to_sign_in():
    for kind in ("not_found", "not_enabled", "invalid"):
        page = render(refusal_response(RequestFactory().get("/"), kind=kind))
        assert 'href="/login/"' in page


def test_an_unknown_page_is_a_friendly_404(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert "We could not find that page" in response.content.decode()


def test_a_console_page_for_a_non_admin_is_a_friendly_403(client):
    client.force_login(UserFactory(is_staff=False))

    response = client.get("/console/")

    assert response.status_code == 403
    assert "You do not have access to this page" in response.content.decode()


def _explode(request):
    raise RuntimeError("secret-internal-detail in a traceback")


urlpatterns = [path("explode/", _explode)]


@pytest.mark.urls("tests.portal.test_pages")
def test_a_crash_is_a_friendly_500_without_a_stack_trace():
    client = Client(raise_request_exception=False)

    response = client.get("/explode/")

    page = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong on our side" in page
    assert "secret-internal-detail" not in page
    assert "Traceback" not in page
