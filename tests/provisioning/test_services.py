"""The JIT decision table, through the service, on a real database."""

import pytest

from audit.models import AuthEvent, EventType, SubEventType
from console.services import set_property
from identity.claims import Identity
from identity.models import User
from provisioning.services import Decision, decide, provision_user, refuse_invalid_response
from tests.factories import RoleFactory, UserFactory

pytestmark = pytest.mark.django_db


def make_identity(principal="John.Doe@Contoso.COM", **overrides) -> Identity:
    username, domain = principal.split("@")
    fields = {
        "username": username,
        "domain": domain,
        "email": principal,
        "full_name": "",
        "idp": "https://sts.contoso.com/",
        "protocol": "saml2",
        "claims_used": {"username": "upn", "email": "UPN"},
    }
    fields.update(overrides)
    return Identity(**fields)


@pytest.mark.parametrize(
    ("user_state", "auto_provision", "expected"),
    [
        ("active", False, Decision.SIGN_IN),
        ("active", True, Decision.SIGN_IN),
        ("inactive", False, Decision.REFUSE_NOT_ENABLED),
        ("inactive", True, Decision.REFUSE_NOT_ENABLED),
        ("missing", True, Decision.CREATE),
        ("missing", False, Decision.REFUSE_NOT_FOUND),
    ],
)
def test_decide_follows_the_decision_table(user_state, auto_provision, expected):
    user = None if user_state == "missing" else User(is_active=user_state == "active")
    assert decide(user=user, auto_provision=auto_provision) is expected


# --- one test per row of the table, through the service -------------------------------


def test_existing_active_user_signs_in_without_profile_change(jit_on):
    user = UserFactory(
        username="john.doe", domain="contoso.com", email="old@contoso.com", full_name="John Old"
    )
    outcome = provision_user(identity=make_identity(email="new@contoso.com", full_name="New"))

    assert outcome.signed_in and outcome.decision is Decision.SIGN_IN
    assert outcome.user == user
    user.refresh_from_db()
    assert (user.email, user.full_name) == ("old@contoso.com", "John Old")
    assert (outcome.event.event_type, outcome.event.sub_event) == (
        EventType.LOGIN,
        SubEventType.SUCCESSFUL_LOGIN,
    )
    assert outcome.event.user == user


def test_inactive_user_is_refused_as_user_not_enabled(jit_on):
    UserFactory(username="john.doe", domain="contoso.com", is_active=False)
    outcome = provision_user(identity=make_identity())

    assert not outcome.signed_in and outcome.user is None
    assert (outcome.event.event_type, outcome.event.sub_event) == (
        EventType.FAILED_LOGIN,
        SubEventType.USER_NOT_ENABLED,
    )
    assert outcome.event.detail["reason"] == "the account exists but is not enabled"


def test_unknown_user_is_created_when_auto_provision_is_on(jit_on):
    outcome = provision_user(identity=make_identity(full_name="John Doe"))

    user = User.objects.get()
    assert outcome.decision is Decision.CREATE and outcome.user == user
    assert (user.username, user.domain, user.email) == (
        "John.Doe",
        "Contoso.COM",
        "John.Doe@Contoso.COM",
    )
    assert user.full_name == "John Doe"
    assert user.is_active and user.auto_provisioned and not user.is_staff
    assert not user.has_usable_password()
    assert (user.provisioned_idp, user.provisioned_protocol) == (
        "https://sts.contoso.com/",
        "saml2",
    )
    event = outcome.event
    assert (event.event_type, event.sub_event) == (EventType.LOGIN, SubEventType.AUTO_PROVISIONED)
    assert event.user == user
    assert event.detail["idp"] == "https://sts.contoso.com/"
    assert event.detail["protocol"] == "saml2"
    assert event.detail["claims_used"] == {"username": "upn", "email": "UPN"}


def test_unknown_user_is_refused_as_user_not_found_by_default():
    outcome = provision_user(identity=make_identity())

    assert not outcome.signed_in
    assert User.objects.count() == 0
    assert (outcome.event.event_type, outcome.event.sub_event) == (
        EventType.FAILED_LOGIN,
        SubEventType.USER_NOT_FOUND,
    )


def test_unknown_user_is_refused_when_auto_provision_is_false():
    set_property(key="AutoProvisionUsers", value="false")
    outcome = provision_user(identity=make_identity())
    assert outcome.decision is Decision.REFUSE_NOT_FOUND
    assert User.objects.count() == 0


def test_invalid_response_is_recorded_with_its_reason():
    event = refuse_invalid_response(
        reason="signature check failed", idp="https://idp", protocol="saml2"
    )
    assert (event.event_type, event.sub_event) == (
        EventType.FAILED_LOGIN,
        SubEventType.INVALID_RESPONSE,
    )
    assert event.detail["reason"] == "signature check failed"
    assert User.objects.count() == 0


# --- matching ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stored", "signing_in"),
    [
        (("john.doe", "contoso.com"), "John.Doe@Contoso.COM"),
        (("John.Doe", "CONTOSO.com"), "john.doe@contoso.com"),
        (("JOHN.DOE", "Contoso.Com"), "jOhN.dOe@cOnToSo.cOm"),
    ],
)
def test_username_and_domain_match_case_insensitively(jit_on, stored, signing_in):
    user = UserFactory(username=stored[0], domain=stored[1])
    outcome = provision_user(identity=make_identity(signing_in))
    assert outcome.decision is Decision.SIGN_IN and outcome.user == user
    assert User.objects.count() == 1


def test_same_username_in_another_domain_is_another_person(jit_on):
    UserFactory(username="john.doe", domain="fabrikam.com")
    outcome = provision_user(identity=make_identity("john.doe@contoso.com"))
    assert outcome.decision is Decision.CREATE
    assert User.objects.count() == 2


def test_email_never_links_accounts(jit_on):
    existing = UserFactory(username="bob", domain="contoso.com", email="shared@contoso.com")
    outcome = provision_user(
        identity=make_identity("alice@contoso.com", email="shared@contoso.com")
    )
    assert outcome.decision is Decision.CREATE
    assert outcome.user != existing
    assert outcome.user.principal == "alice@contoso.com"


def test_email_never_links_accounts_when_provisioning_is_off():
    UserFactory(username="bob", domain="contoso.com", email="shared@contoso.com")
    outcome = provision_user(
        identity=make_identity("alice@contoso.com", email="shared@contoso.com")
    )
    assert outcome.decision is Decision.REFUSE_NOT_FOUND


def test_second_sign_in_changes_nothing(jit_on):
    first = provision_user(identity=make_identity(email="a@contoso.com", full_name="First"))
    second = provision_user(identity=make_identity(email="b@contoso.com", full_name="Second"))

    assert second.decision is Decision.SIGN_IN and second.user == first.user
    user = User.objects.get()
    assert (user.email, user.full_name) == ("a@contoso.com", "First")
    assert list(AuthEvent.objects.order_by("id").values_list("sub_event", flat=True)) == [
        SubEventType.AUTO_PROVISIONED,
        SubEventType.SUCCESSFUL_LOGIN,
    ]


# --- default roles ---------------------------------------------------------------------


def test_existing_default_roles_are_granted_and_missing_ones_skipped_and_recorded(jit_on):
    approver, clerk = RoleFactory(name="Approver"), RoleFactory(name="Clerk")
    RoleFactory(name="Auditor")  # exists but not a default
    set_property(key="RolesForAutoProvisionedUsers", value=" approver , ,Ghost, CLERK,,")

    outcome = provision_user(identity=make_identity())

    assert set(outcome.user.roles.all()) == {approver, clerk}
    assert outcome.roles_skipped == ("Ghost",)
    assert sorted(outcome.event.detail["roles_granted"]) == ["Approver", "Clerk"]
    assert outcome.event.detail["roles_skipped"] == ["Ghost"]


def test_empty_default_roles_grant_none(jit_on):
    RoleFactory(name="Approver")
    set_property(key="RolesForAutoProvisionedUsers", value="")
    outcome = provision_user(identity=make_identity())
    assert outcome.user.roles.count() == 0
    assert outcome.event.detail["roles_granted"] == []


def test_returning_user_gets_no_default_roles(jit_on):
    user = UserFactory(username="john.doe", domain="contoso.com")
    RoleFactory(name="Approver")
    set_property(key="RolesForAutoProvisionedUsers", value="Approver")
    provision_user(identity=make_identity())
    assert user.roles.count() == 0


def test_properties_are_read_at_call_time():
    assert provision_user(identity=make_identity()).decision is Decision.REFUSE_NOT_FOUND
    set_property(key="AutoProvisionUsers", value="TRUE")
    assert provision_user(identity=make_identity()).decision is Decision.CREATE


# --- audit trail integrity -------------------------------------------------------------


def test_one_event_per_sign_in(jit_on):
    provision_user(identity=make_identity())
    provision_user(identity=make_identity())
    UserFactory(username="off", domain="contoso.com", is_active=False)
    provision_user(identity=make_identity("off@contoso.com"))
    assert AuthEvent.objects.count() == 3
