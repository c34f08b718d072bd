"""The OpenID Connect code flow end to end, against the development provider over HTTP."""

from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from audit.models import AuthEvent, EventType, SubEventType
from console.services import set_property
from identity.models import User
from identity.oidc import reset_provider_cache
from tests.factories import RoleFactory, UserFactory
from tests.identity.oidc_support import CLIENT_ID, choose_person, sign_in, start_sign_in


def signed_in_user(client):
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


@pytest.mark.parametrize(
    ("person", "username", "domain", "email", "full_name", "username_claim"),
    [
        # Entra ID v1: upn, no email claim -> the contact email is the UPN.
        ("adele", "AdeleV", "contoso.com", "AdeleV@contoso.com", "Adele Vance", "upn"),
        # Entra ID v2: preferred_username and email.
        ("megan", "MeganB", "contoso.com", "megan.bowen@contoso.com", "Megan Bowen",
         "preferred_username"),
        # AD FS 4: upn wins over unique_name FABRIKAM\jdoe; name from given + family name.
        ("john", "john.doe", "fabrikam.com", "john.doe@fabrikam.com", "John Doe", "upn"),
        # Entra ID v1 guest (Microsoft account): the tagged principal is kept whole.
        ("lee", "live.com#lee.gu", "outlook.com", "lee.gu@outlook.com", "Lee Gu", "unique_name"),
        # B2B guest with an #EXT# UPN: kept whole; the contact email is their own address.
        ("pradeep", "pradeep_fabrikam.com#EXT#", "contoso.onmicrosoft.com", "pradeep@fabrikam.com",
         "Pradeep Gupta", "upn"),
    ],
)
def test_first_sign_in_creates_the_account_for_each_claim_style(
    oidc_settings, portal, jit_on, person, username, domain, email, full_name, username_claim
):
    RoleFactory(name="Employee")
    set_property(key="RolesForAutoProvisionedUsers", value="Employee,Missing", actor_name="test")

    response = sign_in(portal, person)

    assert response.status_code == 302
    assert response["Location"] == "/"
    user = User.objects.get()
    assert (user.username, user.domain, user.email, user.full_name) == (
        username, domain, email, full_name
    )
    assert user.is_active and user.auto_provisioned
    assert user.provisioned_protocol == "oidc"
    assert user.provisioned_idp == oidc_settings.OIDC_OP_DISCOVERY_URL.split("/.well-known")[0]
    assert [role.name for role in user.roles.all()] == ["Employee"]
    event = AuthEvent.objects.get()
    assert (event.event_type, event.sub_event) == (EventType.LOGIN, SubEventType.AUTO_PROVISIONED)
    assert event.user == user
    assert event.detail["claims_used"]["username"] == username_claim
    assert event.detail["roles_skipped"] == ["Missing"]
    assert signed_in_user(portal) == user
    assert portal.get("/").status_code == 200


def test_returning_user_signs_in_and_the_profile_is_not_changed(oidc_settings, portal):
    user = UserFactory(username="adelev", domain="CONTOSO.COM", email="old@contoso.com",
                       full_name="Old Name")

    response = sign_in(portal, "adele")

    assert response.status_code == 302
    assert signed_in_user(portal) == user
    user.refresh_from_db()
    assert (user.email, user.full_name) == ("old@contoso.com", "Old Name")
    assert User.objects.count() == 1
    assert AuthEvent.objects.get().sub_event == SubEventType.SUCCESSFUL_LOGIN


def test_unknown_person_is_refused_as_user_not_found_when_jit_is_off(oidc_settings, portal):
    response = sign_in(portal, "megan")

    assert response.status_code == 403
    assert b"Your account has not been set up" in response.content
    assert not User.objects.exists()
    assert signed_in_user(portal) is None
    event = AuthEvent.objects.get()
    assert event.sub_event == SubEventType.USER_NOT_FOUND
    assert f"Reference for your administrator: {event.pk}".encode() in response.content


def test_disabled_account_is_refused_as_user_not_enabled(oidc_settings, portal, jit_on):
    UserFactory(username="john.doe", domain="fabrikam.com", is_active=False)

    response = sign_in(portal, "john")

    assert response.status_code == 403
    assert b"Your account is disabled" in response.content
    assert signed_in_user(portal) is None
    assert AuthEvent.objects.get().sub_event == SubEventType.USER_NOT_ENABLED


def test_a_disabled_account_loses_its_session(oidc_settings, portal, jit_on):
    sign_in(portal, "adele")
    User.objects.update(is_active=False)

    response = portal.get("/")

    assert response.status_code == 302  # sent back to sign in
    assert not response.wsgi_request.user.is_authenticated


def test_sign_in_request_carries_state_nonce_and_pkce_s256(oidc_settings, portal):
    query = parse_qs(urlsplit(start_sign_in(portal)).query)

    assert query["client_id"] == [CLIENT_ID]
    assert query["response_type"] == ["code"]
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) == 43
    assert query["state"][0] and query["nonce"][0]
    assert query["redirect_uri"] == ["http://127.0.0.1/oidc/callback/"]
    assert set(query["scope"][0].split()) == {"openid", "email", "profile"}


@pytest.mark.parametrize(
    ("next_url", "landing"),
    [
        ("/console/", "/console/"),
        ("https://evil.example/steal", "/"),
        ("//evil.example/steal", "/"),
        # Landing on a sign-in or sign-out page would start over.
        ("/oidc/authenticate/", "/"),
        ("/logout/", "/"),
    ],
)
def test_next_is_followed_only_on_this_site(oidc_settings, portal, jit_on, next_url, landing):
    response = sign_in(portal, "adele", next_url=next_url)

    assert response.status_code == 302
    assert response["Location"] == landing


def test_discovery_and_keys_are_fetched_once_not_per_sign_in(
    oidc_settings, oidc_provider, portal, jit_on
):
    for person in ("adele", "megan", "john"):
        portal.logout()
        assert sign_in(portal, person).status_code == 302

    calls = oidc_provider.requests
    assert calls["/.well-known/openid-configuration"] == 1
    assert calls["/jwks"] == 1
    assert calls["/token"] == 3
    assert calls["/userinfo"] == 3


def test_rotated_provider_key_is_fetched_when_a_token_names_it(
    oidc_settings, oidc_provider, portal, jit_on
):
    assert sign_in(portal, "adele").status_code == 302
    oidc_provider.rotate_key()
    oidc_provider.retire_old_keys()
    portal.logout()

    response = sign_in(portal, "megan")

    assert response.status_code == 302
    assert oidc_provider.requests["/jwks"] == 2
    assert User.objects.count() == 2


def test_replayed_callback_is_refused(oidc_settings, portal, jit_on):
    callback = choose_person(start_sign_in(portal), "adele")
    assert portal.get(callback).status_code == 302

    replay = portal.get(callback)

    assert replay.status_code == 400
    event = AuthEvent.objects.latest("id")
    assert event.sub_event == SubEventType.INVALID_RESPONSE
    assert "state does not match" in event.detail["reason"]
    assert User.objects.count() == 1


def test_sign_out_also_signs_out_at_the_provider(oidc_settings, oidc_provider, portal, jit_on):
    sign_in(portal, "adele")

    response = portal.post("/logout/")

    assert response.status_code == 302
    end_session = urlsplit(response["Location"])
    assert f"{end_session.scheme}://{end_session.netloc}" == oidc_provider.base_url
    assert end_session.path == "/logout"
    assert parse_qs(end_session.query) == {
        "client_id": [CLIENT_ID],
        "post_logout_redirect_uri": ["http://127.0.0.1/logout/"],
    }
    assert signed_in_user(portal) is None
    back = requests.get(response["Location"], allow_redirects=False, timeout=5)
    assert back.headers["Location"] == "http://127.0.0.1/logout/"


def test_sign_out_does_not_wait_on_an_unreachable_provider(
    oidc_settings, oidc_provider, portal, jit_on
):
    sign_in(portal, "adele")
    oidc_provider.stop()
    reset_provider_cache()

    response = portal.post("/logout/")

    assert response.status_code == 302
    assert response["Location"] == "/logout/"
    assert signed_in_user(portal) is None
