"""SAML sign-in end to end: real signed responses from pysaml2 IdPs, posted to the ACS.

Each test starts an SP-initiated sign-in (GET /saml2/login/), lets a test IdP answer
the AuthnRequest with a real signed response in one IdP product's attribute style,
posts it to the ACS, and checks the user, roles, the AuthEvent and the page reached.
"""

import pytest

from audit.models import AuthEvent, SubEventType
from console.services import set_property
from identity.models import User
from tests.factories import RoleFactory, UserFactory
from tests.saml_idp import Person, Subject, subject_for

pytestmark = pytest.mark.django_db

ADELE = Person("Adele.Vance@contoso.com", "Adele", "Vance")
TRANSIENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
PERSISTENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
EMAIL = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
UNSPECIFIED = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
WINDOWS = "urn:oasis:names:tc:SAML:1.1:nameid-format:WindowsDomainQualifiedName"
URI = "urn:oasis:names:tc:SAML:2.0:attrname-format:uri"
BASIC = "urn:oasis:names:tc:SAML:2.0:attrname-format:basic"
CLAIMS = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/"


def signed_in_user(client):
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


def test_first_sign_in_with_jit_on_creates_the_user_and_lands_home(saml_sign_in, jit_on, client):
    RoleFactory(name="Employee")
    set_property(key="RolesForAutoProvisionedUsers", value="Employee,Missing", actor_name="test")

    answer = saml_sign_in(subject_for(ADELE, "entra"))

    assert answer.status_code == 302
    assert answer["Location"] == "/"
    user = User.objects.principal("adele.vance", "contoso.com").get()
    assert (user.username, user.domain, user.email, user.full_name) == (
        "Adele.Vance",
        "contoso.com",
        "Adele.Vance@contoso.com",
        "Adele Vance",
    )
    assert user.is_active and user.auto_provisioned and user.provisioned_protocol == "saml2"
    assert user.provisioned_idp == "https://idp.contoso.test/"
    assert [r.name for r in user.roles.all()] == ["Employee"]
    event = AuthEvent.objects.get()
    assert event.sub_event == SubEventType.AUTO_PROVISIONED
    assert event.idp == "https://idp.contoso.test/"
    assert event.detail["roles_skipped"] == ["Missing"]
    assert signed_in_user(client) == user
    assert client.get("/").status_code == 200


# One case per IdP style: (style or explicit subject, expected username, domain, email, name).
STYLE_CASES = {
    "entra": ("entra", "Adele.Vance", "contoso.com", "Adele.Vance@contoso.com", "Adele Vance"),
    "adfs": ("adfs", "Adele.Vance", "contoso.com", "Adele.Vance@contoso.com", "Adele Vance"),
    "okta": ("okta", "Adele.Vance", "contoso.com", "Adele.Vance@contoso.com", "Adele Vance"),
    "pingfederate": (
        "pingfederate",
        "Adele.Vance",
        "contoso.com",
        "Adele.Vance@contoso.com",
        "Adele Vance",
    ),
    "netiq": ("netiq", "Adele.Vance", "contoso.com", "Adele.Vance@contoso.com", "Adele Vance"),
    "siteminder": ("siteminder", "Adele.Vance", "contoso.com", "Adele.Vance@contoso.com", ""),
    "nameid-only": ("nameid", "Adele.Vance", "contoso.com", "Adele.Vance@contoso.com", ""),
    "entra-claims-with-uri-nameformat": (
        Subject(
            name_id="0b8e3f6a-22c4",
            name_id_format=PERSISTENT,
            attributes={
                CLAIMS + "name": ["Adele.Vance@contoso.com"],
                CLAIMS + "emailaddress": ["adele@contoso.com"],
                "http://schemas.microsoft.com/identity/claims/displayname": ["Adele Vance"],
            },
            attribute_name_format=URI,
        ),
        "Adele.Vance",
        "contoso.com",
        "adele@contoso.com",
        "Adele Vance",
    ),
    "opaque-nameid-and-upn-attribute": (
        Subject(
            name_id="_a81f20c9e5",
            name_id_format=TRANSIENT,
            attributes={"userPrincipalName": ["adele.vance@contoso.com"]},
            attribute_name_format=BASIC,
        ),
        "adele.vance",
        "contoso.com",
        "adele.vance@contoso.com",
        "",
    ),
    "guest-upn": (
        Subject(
            name_id="adele_fabrikam.com#EXT#@contoso.onmicrosoft.com",
            name_id_format=EMAIL,
            attributes={CLAIMS + "emailaddress": ["adele@fabrikam.com"]},
        ),
        "adele_fabrikam.com#EXT#",
        "contoso.onmicrosoft.com",
        "adele@fabrikam.com",
        "",
    ),
    "domain-backslash-user": (
        Subject(name_id="CONTOSO\\avance", name_id_format=WINDOWS),
        "avance",
        "CONTOSO",
        "",
        "",
    ),
    "first-non-empty-email-of-several": (
        Subject(
            name_id="adele.vance@contoso.com",
            name_id_format=UNSPECIFIED,
            attributes={"email": ["", "not-an-address", "a.vance@contoso.com", "x@contoso.com"]},
            attribute_name_format=BASIC,
        ),
        "adele.vance",
        "contoso.com",
        "a.vance@contoso.com",
        "",
    ),
}


@pytest.mark.parametrize("case", STYLE_CASES.values(), ids=STYLE_CASES.keys())
def test_every_idp_style_signs_in_and_creates_the_user_with_the_extraction_rules(
    case, saml_sign_in, jit_on, client
):
    style, username, domain, email, full_name = case
    subject = subject_for(ADELE, style) if isinstance(style, str) else style

    answer = saml_sign_in(subject)

    assert answer.status_code == 302, answer.content[:300]
    user = User.objects.get()
    assert (user.username, user.domain, user.email, user.full_name) == (
        username,
        domain,
        email,
        full_name,
    )
    assert AuthEvent.objects.get().sub_event == SubEventType.AUTO_PROVISIONED
    assert signed_in_user(client) == user


def test_existing_user_signs_in_in_any_case_and_is_not_changed(saml_sign_in, client):
    user = UserFactory(
        username="adele.vance", domain="Contoso.com", email="old@contoso.com", full_name="A. Vance"
    )

    answer = saml_sign_in(subject_for(ADELE, "entra"))

    assert answer.status_code == 302
    user.refresh_from_db()
    assert (user.username, user.domain, user.email, user.full_name) == (
        "adele.vance",
        "Contoso.com",
        "old@contoso.com",
        "A. Vance",
    )
    assert User.objects.count() == 1
    assert AuthEvent.objects.get().sub_event == SubEventType.SUCCESSFUL_LOGIN
    assert signed_in_user(client) == user


def test_unknown_user_with_jit_off_is_refused_as_user_not_found(saml_sign_in, client):
    answer = saml_sign_in(subject_for(ADELE, "okta"))

    assert answer.status_code == 403
    assert b"has not been set up" in answer.content
    event = AuthEvent.objects.get()
    assert event.sub_event == SubEventType.USER_NOT_FOUND
    assert str(event.pk).encode() in answer.content
    assert not User.objects.exists()
    assert signed_in_user(client) is None


def test_disabled_user_is_refused_as_user_not_enabled(saml_sign_in, jit_on, client):
    UserFactory(username="adele.vance", domain="contoso.com", is_active=False)

    answer = saml_sign_in(subject_for(ADELE, "adfs"))

    assert answer.status_code == 403
    assert b"Your account is disabled" in answer.content
    assert AuthEvent.objects.get().sub_event == SubEventType.USER_NOT_ENABLED
    assert signed_in_user(client) is None


def test_the_next_page_asked_for_at_login_is_reached_after_sign_in(saml_sign_in, jit_on):
    answer = saml_sign_in(subject_for(ADELE, "entra"), next_path="/console/")
    assert answer["Location"] == "/console/"


def test_an_off_site_next_is_dropped_for_the_home_page(saml_sign_in, jit_on):
    answer = saml_sign_in(subject_for(ADELE, "entra"), next_path="https://evil.example/")
    assert answer["Location"] == "/"


def test_a_configured_preset_puts_its_idps_own_username_attribute_first(
    saml_sign_in, jit_on, settings
):
    subject = Subject(
        name_id="adele@contoso-mail.com",
        name_id_format=EMAIL,
        attributes={"login": ["adele.vance@contoso.com"]},
        attribute_name_format=BASIC,
    )
    settings.SAML_IDP_PRESETS = {"https://idp.contoso.test/": "okta"}

    assert saml_sign_in(subject).status_code == 302

    assert User.objects.get().principal == "adele.vance@contoso.com"


def test_without_a_preset_the_name_id_carries_the_upn(saml_sign_in, jit_on):
    subject = Subject(
        name_id="adele@contoso-mail.com",
        name_id_format=EMAIL,
        attributes={"login": ["adele.vance@contoso.com"]},
        attribute_name_format=BASIC,
    )

    assert saml_sign_in(subject).status_code == 302

    assert User.objects.get().principal == "adele@contoso-mail.com"
