"""The provisioning preview: what a sign-in would do now, and that it writes nothing."""

import json

import pytest
from django.urls import reverse

from audit.models import AuthEvent, ChangeLogEntry
from console.services import set_property
from identity.claims import identity_from_oidc
from identity.models import User
from provisioning.selectors import preview_sign_in
from provisioning.services import Decision
from tests.factories import RoleFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = reverse("console:preview")


def preview(client, **data):
    response = client.post(URL, data)
    assert response.status_code == 200
    return response


@pytest.fixture
def jit_with_roles(db):
    set_property(key="AutoProvisionUsers", value="true", actor_name="test")
    set_property(key="RolesForAutoProvisionedUsers", value="Approver,Ghost", actor_name="test")
    RoleFactory(name="Approver")


def test_a_new_upn_with_jit_on_would_be_created_with_existing_roles_only(staff_client,
                                                                       jit_with_roles):
    users = User.objects.count()
    changes = ChangeLogEntry.objects.count()

    response = preview(staff_client, kind="upn", payload="john.doe@bizagi.com")

    result = response.context["preview"]
    assert result.decision is Decision.CREATE
    assert (result.identity.username, result.identity.domain) == ("john.doe", "bizagi.com")
    assert result.identity.email == "john.doe@bizagi.com"  # the UPN, no email sent
    assert (result.roles_granted, result.roles_skipped) == (("Approver",), ("Ghost",))
    assert "The account would be created" in response.text
    assert User.objects.count() == users
    assert not AuthEvent.objects.exists()
    assert ChangeLogEntry.objects.count() == changes


def test_with_jit_off_a_new_person_would_be_refused_as_user_not_found(staff_client):
    response = preview(staff_client, kind="upn", payload="CONTOSO\\newbie")

    assert response.context["preview"].decision is Decision.REFUSE_NOT_FOUND
    assert "User not found" in response.text
    assert "AutoProvisionUsers is off" in response.text


def test_an_existing_inactive_user_would_be_refused_as_not_enabled(staff_client):
    UserFactory(username="jane", domain="contoso.com", is_active=False)

    response = preview(staff_client, kind="upn", payload="Jane@Contoso.com")

    assert response.context["preview"].decision is Decision.REFUSE_NOT_ENABLED


def test_an_existing_active_user_would_sign_in_unchanged(staff_client, jit_with_roles):
    UserFactory(username="jane", domain="contoso.com")

    result = preview(staff_client, kind="upn", payload="jane@contoso.com").context["preview"]

    assert result.decision is Decision.SIGN_IN
    assert result.roles_granted == ()


def test_oidc_claims_are_read_like_a_sign_in(staff_client, jit_with_roles):
    claims = {"preferred_username": "ann@fabrikam.com", "email": "ann.lee@mail.fabrikam.com",
              "name": "Ann Lee", "sub": "opaque"}

    result = preview(staff_client, kind="oidc", payload=json.dumps(claims)).context["preview"]

    assert (result.identity.username, result.identity.email, result.identity.full_name) == (
        "ann", "ann.lee@mail.fabrikam.com", "Ann Lee"
    )
    assert result.identity.claims_used["username"] == "preferred_username"


def test_saml_attribute_lines_are_read_like_a_sign_in(staff_client, jit_with_roles):
    payload = (
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn = bo@contoso.com\n"
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress = bo@mail.contoso\n"
    )
    result = preview(staff_client, kind="saml2", payload=payload).context["preview"]

    assert (result.identity.username, result.identity.domain) == ("bo", "contoso.com")
    assert result.identity.email == "bo@mail.contoso"


def test_claims_without_a_username_show_the_invalid_response_refusal(staff_client):
    response = preview(staff_client, kind="oidc", payload=json.dumps({"sub": "opaque"}))

    assert "Invalid response" in response.text
    assert response.context["invalid_reason"]
    assert not AuthEvent.objects.exists()


@pytest.mark.parametrize(
    ("kind", "payload", "message"),
    [
        ("oidc", "{not json", "This is not valid JSON"),
        ("oidc", "[1, 2]", "Paste a JSON object"),
        ("saml2", "no equals sign here", "Line 1 is not"),
    ],
)
def test_unreadable_input_is_refused_with_a_message(staff_client, kind, payload, message):
    response = preview(staff_client, kind=kind, payload=payload)
    assert message in response.text
    assert "preview" not in response.context or response.context.get("preview") is None


def test_a_preset_for_the_other_protocol_is_refused(staff_client):
    response = preview(staff_client, kind="oidc", preset="saml2:okta", payload="{}")
    assert "This preset is for the other protocol." in response.text


def test_the_selector_uses_the_current_properties_at_call_time(db):
    identity = identity_from_oidc(claims={"upn": "x@y.com"})
    assert preview_sign_in(identity=identity).decision is Decision.REFUSE_NOT_FOUND
    set_property(key="AutoProvisionUsers", value="true", actor_name="test")
    assert preview_sign_in(identity=identity).decision is Decision.CREATE
