"""Every refused OpenID Connect sign-in: a clear page, one audit event, nothing created.

The bad tokens are real: the development provider signs them with its own key or
with keys the test makes, as `Mint` says.
"""

import time

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from audit.models import AuthEvent, EventType, SubEventType
from devidp.oidc import DevelopmentProvider, Mint, Person, run_in_thread
from identity.models import User
from identity.oidc import provider_metadata, signing_key
from tests.identity.oidc_support import (
    CLIENT_ID,
    CLIENT_SECRET,
    choose_person,
    closed_port_url,
    sign_in,
    start_sign_in,
)

NOW = int(time.time())


@pytest.fixture(scope="module")
def test_key():
    """A signing key the test controls; the provider does not publish it."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def assert_refused(response, *, status, reason, page=b"We could not verify your sign-in"):
    """The refusal page, one Failed Login / Invalid response event, no account, no session."""
    assert response.status_code == status
    assert page in response.content
    assert b"Traceback" not in response.content
    event = AuthEvent.objects.get()
    assert (event.event_type, event.sub_event) == (
        EventType.FAILED_LOGIN, SubEventType.INVALID_RESPONSE
    )
    assert reason in event.detail["reason"]
    assert event.protocol == "oidc"
    assert f"Reference for your administrator: {event.pk}".encode() in response.content
    assert not User.objects.exists()
    assert "_auth_user_id" not in response.wsgi_request.session


@pytest.mark.parametrize(
    ("mint", "reason"),
    [
        (Mint(claims={"nonce": "not-the-one-we-sent"}), "nonce does not match"),
        (Mint(claims={"nonce": None}), "nonce does not match"),
        (Mint(claims={"aud": "another-client"}), "another audience"),
        (Mint(claims={"aud": [CLIENT_ID, "another-client"]}), "several audiences"),
        (Mint(claims={"iss": "https://login.microsoftonline.com/other/v2.0"}), "is not the provider"),
        (Mint(claims={"exp": NOW - 3600, "iat": NOW - 7200}), "has expired"),
        (Mint(claims={"nbf": NOW + 3600}), "not valid yet"),
        (Mint(claims={"iat": NOW + 3600}), "not valid yet"),
        (Mint(claims={"exp": None}), "has no exp claim"),
        (Mint(claims={"sub": None}), "has no sub claim"),
        (Mint(alg="none"), "algorithm 'none' is not allowed"),
        # Signed with the provider's own key, but not with an algorithm it announced.
        (Mint(alg="RS384"), "algorithm 'RS384' is not allowed"),
        (Mint(kid=None, header={"kid": None}), "names no key"),
    ],
    ids=[
        "nonce-mismatch", "nonce-missing", "wrong-audience", "several-audiences-no-azp",
        "wrong-issuer", "expired", "nbf-in-future", "iat-in-future", "no-exp", "no-sub",
        "alg-none", "alg-not-announced", "no-kid",
    ],
)
def test_bad_id_token_is_refused(oidc_settings, oidc_provider, portal, jit_on, mint, reason):
    callback = choose_person(start_sign_in(portal), "adele")
    oidc_provider.mint_next(mint)

    assert_refused(portal.get(callback), status=400, reason=reason)


def test_token_signed_by_another_key_is_refused_as_bad_signature(
    oidc_settings, oidc_provider, portal, jit_on, test_key
):
    callback = choose_person(start_sign_in(portal), "adele")
    oidc_provider.mint_next(Mint(key=test_key))  # the provider's kid, the test's key

    assert_refused(portal.get(callback), status=400, reason="signature is not valid")


def test_tampered_signature_is_refused(oidc_settings, oidc_provider, portal, jit_on):
    callback = choose_person(start_sign_in(portal), "adele")
    oidc_provider.mint_next(Mint(corrupt_signature=True))

    assert_refused(portal.get(callback), status=400, reason="signature is not valid")


def test_unknown_key_is_refused_after_one_jwks_refresh(
    oidc_settings, oidc_provider, portal, jit_on, test_key
):
    callback = choose_person(start_sign_in(portal), "adele")
    oidc_provider.mint_next(Mint(key=test_key, kid="a-key-nobody-published"))

    assert_refused(portal.get(callback), status=400, reason="unknown key")
    assert oidc_provider.requests["/jwks"] == 1


def test_unknown_key_after_keys_were_cached_refreshes_the_jwks(
    oidc_settings, oidc_provider, portal, jit_on, test_key
):
    current = oidc_provider.keys[-1].kid
    signing_key(provider_metadata(), kid=current, algorithm="RS256")  # keys now cached
    callback = choose_person(start_sign_in(portal), "adele")
    oidc_provider.mint_next(Mint(key=test_key, kid="a-key-nobody-published"))

    assert_refused(portal.get(callback), status=400, reason="unknown key")
    assert oidc_provider.requests["/jwks"] == 2  # refreshed once, still unknown


def test_hs256_signed_with_the_public_key_is_refused(
    oidc_settings, oidc_provider, portal, jit_on
):
    public_pem = oidc_provider.keys[-1].private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    callback = choose_person(start_sign_in(portal), "adele")
    oidc_provider.mint_next(Mint(alg="HS256", hmac_secret=public_pem))

    assert_refused(portal.get(callback), status=400, reason="algorithm 'HS256' is not allowed")


def test_state_mismatch_is_refused(oidc_settings, portal, jit_on):
    callback = choose_person(start_sign_in(portal), "adele")
    forged = callback.replace("state=", "state=forged")

    assert_refused(portal.get(forged), status=400, reason="state does not match")


def test_error_from_the_provider_is_refused(oidc_settings, portal, jit_on):
    callback = choose_person(start_sign_in(portal), deny=True)

    assert_refused(portal.get(callback), status=403, reason="error=access_denied")


def test_callback_without_a_session_is_refused(oidc_settings, portal, client, jit_on):
    callback = choose_person(start_sign_in(portal), "adele")
    portal.cookies.clear()  # another browser, or the session expired

    assert_refused(portal.get(callback), status=400, reason="no session state")


def test_unreachable_provider_at_sign_in_start_is_a_502(settings, db, portal):
    settings.DEBUG = True
    settings.OIDC_OP_DISCOVERY_URL = closed_port_url()
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET

    response = portal.get("/oidc/authenticate/")

    assert_refused(
        response, status=502, reason="could not be read",
        page=b"sign-in service is not available",
    )


def test_provider_gone_before_the_callback_is_a_502(oidc_settings, oidc_provider, portal, jit_on):
    callback = choose_person(start_sign_in(portal), "adele")
    oidc_provider.stop()

    assert_refused(
        portal.get(callback), status=502, reason="could not be reached",
        page=b"sign-in service is not available",
    )


def test_code_refused_by_the_token_endpoint_is_refused(
    oidc_settings, oidc_provider, portal, jit_on
):
    callback = choose_person(start_sign_in(portal), "adele")
    oidc_settings.OIDC_RP_CLIENT_SECRET = "not-the-secret"

    assert_refused(portal.get(callback), status=400, reason="refused /token: HTTP 401 invalid_client")


@pytest.mark.parametrize("body", [["not", "an", "object"], "a string", 42])
def test_token_response_that_is_not_an_object_is_refused(
    oidc_settings, oidc_provider, portal, jit_on, body
):
    callback = choose_person(start_sign_in(portal), "adele")
    oidc_provider.answer_next_token_request_with(body)

    assert_refused(portal.get(callback), status=400, reason="token response is not a JSON object")


def test_claims_without_a_username_are_refused(settings, db, portal, jit_on):
    nameless = Person(key="nameless", style="test", note="", claims={"name": "No UPN"})
    provider = DevelopmentProvider(client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                                   people=(nameless,))
    run_in_thread(provider)
    settings.DEBUG = True
    settings.OIDC_OP_DISCOVERY_URL = provider.discovery_url
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    try:
        assert_refused(sign_in(portal, "nameless"), status=400, reason="no username")
    finally:
        provider.stop()


def test_callback_without_code_or_state_is_refused(oidc_settings, portal, jit_on):
    start_sign_in(portal)  # a sign-in is in progress in this browser

    assert_refused(portal.get("/oidc/callback/"), status=400, reason="without code or state")
