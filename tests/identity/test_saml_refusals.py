"""Every way a SAML response is refused: a clear page, one recorded reason, nothing created.

The responses are real: made and signed by pysaml2 IdPs (tests/saml_idp.py), then
left unsigned, signed with another key, tampered with, expired, addressed to
another SP, replayed, unsolicited, malformed or oversized.
"""

import base64
import datetime as dt

import pytest

from audit.models import AuthEvent, EventType, SubEventType
from identity.models import ConsumedAssertion, User
from tests.saml_idp import (
    Person,
    Subject,
    TestIdP,
    encode,
    shift_times,
    start_login,
    subject_for,
)

pytestmark = pytest.mark.django_db

ADELE = Person("Adele.Vance@contoso.com", "Adele", "Vance")


@pytest.fixture
def saml_request(client, saml_idp):
    """An SP-initiated sign-in, started: the AuthnRequest the IdP received."""
    return start_login(client, saml_idp)


def response_xml(idp, request, subject=None, **options):
    return idp.response_xml(
        subject or subject_for(ADELE, "entra"),
        sp_entity_id=request.sp_entity_id,
        acs_url=request.destination,
        in_response_to=request.request_id,
        **options,
    )


def post(client, saml_response):
    return client.post("/saml2/acs/", {"SAMLResponse": saml_response})


def assert_refused(answer, client, reason_part, *, status=None):
    """The refusal page, one Failed Login / Invalid response with the reason, nobody created."""
    assert 400 <= answer.status_code < 500, answer.content[:300]
    if status is not None:
        assert answer.status_code == status
    assert b"We could not verify your sign-in" in answer.content
    assert b"Traceback" not in answer.content
    event = AuthEvent.objects.get()
    assert (event.event_type, event.sub_event) == (
        EventType.FAILED_LOGIN,
        SubEventType.INVALID_RESPONSE,
    )
    assert event.protocol == "saml2"
    assert reason_part in event.detail["reason"], event.detail
    assert f"Reference for your administrator: {event.pk}".encode() in answer.content
    assert not User.objects.exists()
    assert "_auth_user_id" not in client.session
    return event


def test_unsigned_response_is_refused(client, saml_idp, saml_request, jit_on):
    xml = response_xml(saml_idp, saml_request, sign_response=False, sign_assertion=False)
    assert_refused(post(client, encode(xml)), client, "signature")


def test_response_signed_but_assertion_unsigned_is_refused(client, saml_idp, saml_request, jit_on):
    xml = response_xml(saml_idp, saml_request, sign_response=True, sign_assertion=False)
    assert_refused(post(client, encode(xml)), client, "signature")


def test_response_signed_by_another_key_is_refused(
    client, saml_idp, saml_request, saml_keys, tmp_path, jit_on
):
    impostor = TestIdP(
        tmp_path / "impostor", entity_id=saml_idp.entity_id, key_pair=saml_keys.intruder
    )
    impostor.trust_sp(client.get("/saml2/metadata/").content.decode())
    xml = response_xml(impostor, saml_request)
    event = assert_refused(post(client, encode(xml)), client, "signature")
    assert event.detail["claimed_issuer"] == saml_idp.entity_id


def test_tampered_response_is_refused(client, saml_idp, saml_request, jit_on):
    xml = response_xml(saml_idp, saml_request)
    tampered = xml.replace("Adele.Vance@contoso.com", "Admin@contoso.com")
    assert tampered != xml
    assert_refused(post(client, encode(tampered)), client, "signature")


def test_expired_response_is_refused(client, saml_idp, saml_request, jit_on):
    xml = response_xml(
        saml_idp, saml_request, before_signing=shift_times(dt.timedelta(minutes=-30))
    )
    assert_refused(post(client, encode(xml)), client, "expired")


def test_response_from_the_future_is_refused(client, saml_idp, saml_request, jit_on):
    xml = response_xml(saml_idp, saml_request, before_signing=shift_times(dt.timedelta(minutes=30)))
    assert_refused(post(client, encode(xml)), client, "not valid yet")


def test_response_for_another_audience_is_refused(client, saml_idp, saml_request, jit_on):
    xml = response_xml(saml_idp, saml_request, audience="https://other-sp.example/metadata")
    assert_refused(post(client, encode(xml)), client, "another service provider")


def test_response_for_another_destination_is_refused(client, saml_idp, saml_request, jit_on):
    xml = saml_idp.response_xml(
        subject_for(ADELE, "entra"),
        sp_entity_id=saml_request.sp_entity_id,
        acs_url="https://other-sp.example/acs",
        in_response_to=saml_request.request_id,
    )
    assert_refused(post(client, encode(xml)), client, "destination")


def test_response_from_an_unknown_idp_is_refused(
    client, saml_idp, saml_request, saml_keys, tmp_path, jit_on
):
    stranger = TestIdP(
        tmp_path / "stranger", entity_id="https://idp.stranger.test/", key_pair=saml_keys.fabrikam
    )
    stranger.trust_sp(client.get("/saml2/metadata/").content.decode())
    assert_refused(post(client, encode(response_xml(stranger, saml_request))), client, "")


def test_replayed_response_is_refused(client, saml_idp, saml_request, jit_on):
    saml_response = encode(response_xml(saml_idp, saml_request))
    assert post(client, saml_response).status_code == 302
    client.logout()
    User.objects.all().delete()
    before = AuthEvent.objects.count()

    answer = post(client, saml_response)

    assert 400 <= answer.status_code < 500
    event = AuthEvent.objects.order_by("-id").first()
    assert AuthEvent.objects.count() == before + 1
    assert event.sub_event == SubEventType.INVALID_RESPONSE
    assert "already used" in event.detail["reason"]
    assert not User.objects.exists()


def test_unsolicited_response_is_refused_while_idp_initiated_sign_in_is_off(
    client, saml_idp, jit_on
):
    xml = saml_idp.response_xml(
        subject_for(ADELE, "entra"),
        sp_entity_id="http://127.0.0.1:8000/saml2/metadata/",
        acs_url="http://127.0.0.1:8000/saml2/acs/",
    )
    assert_refused(post(client, encode(xml)), client, "unsolicited")


@pytest.fixture
def idp_initiated_on(settings, saml_idp):
    settings.SAML_CONFIG = {
        **settings.SAML_CONFIG,
        "service": {"sp": {**settings.SAML_CONFIG["service"]["sp"], "allow_unsolicited": True}},
    }


def test_idp_initiated_sign_in_when_on_is_accepted_once_then_replay_is_refused(
    client, saml_idp, idp_initiated_on, jit_on
):
    saml_response = saml_idp.response(
        subject_for(ADELE, "okta"),
        sp_entity_id="http://127.0.0.1:8000/saml2/metadata/",
        acs_url="http://127.0.0.1:8000/saml2/acs/",
    )
    assert post(client, saml_response).status_code == 302
    assert ConsumedAssertion.objects.count() == 1
    client.logout()

    answer = post(client, saml_response)

    assert 400 <= answer.status_code < 500
    event = AuthEvent.objects.order_by("-id").first()
    assert event.sub_event == SubEventType.INVALID_RESPONSE
    assert event.detail["reason"] == "replayed response: this assertion was already used"
    assert User.objects.count() == 1  # the first, legitimate sign-in
    assert "_auth_user_id" not in client.session


def test_opaque_name_id_without_upn_is_refused_as_no_username(
    client, saml_idp, saml_request, jit_on
):
    subject = Subject(
        name_id="_3f9a0c1d2e",
        name_id_format="urn:oasis:names:tc:SAML:2.0:nameid-format:transient",
        attributes={"email": ["adele@contoso.com"]},
    )
    event = assert_refused(
        post(client, encode(response_xml(saml_idp, saml_request, subject))), client, ""
    )
    assert event.detail["reason"] == "no username in the response"
    assert event.idp == saml_idp.entity_id


@pytest.mark.parametrize(
    ("saml_response", "reason"),
    [
        ("!!!% not base64 %!!!", "base64"),
        (base64.b64encode(b"hello, not xml").decode(), "XML"),
        (
            base64.b64encode(
                b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
                b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
                b'<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">&b;'
                b"</samlp:Response>"
            ).decode(),
            "DTD",
        ),
    ],
    ids=["bad-base64", "not-xml", "dtd-and-entities"],
)
def test_malformed_response_is_refused(client, saml_request, saml_response, reason, jit_on):
    assert_refused(post(client, saml_response), client, reason)


def test_oversized_response_is_refused_before_parsing(client, saml_request, settings, jit_on):
    answer = post(client, "A" * (settings.SAML_MAX_RESPONSE_BYTES + 1))
    assert_refused(answer, client, "too large", status=413)


def test_post_without_saml_response_is_refused(client, saml_idp, jit_on):
    assert_refused(client.post("/saml2/acs/", {}), client, "no SAMLResponse", status=400)


def test_an_error_status_from_the_idp_is_refused_with_the_status(
    client, saml_idp, saml_request, jit_on
):
    from saml2.samlp import STATUS_AUTHN_FAILED

    xml = saml_idp.idp.server.create_error_response(
        saml_request.request_id,
        saml_request.destination,
        (STATUS_AUTHN_FAILED, "wrong password"),
        sign=True,
    )
    assert_refused(post(client, encode(str(xml))), client, "the IdP refused the sign-in")
