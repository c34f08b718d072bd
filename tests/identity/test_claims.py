"""The extraction rules of the specification, one case per rule (pure: no database)."""

import pytest

from identity.claims import (
    NAMEID_EMAIL,
    NAMEID_UNSPECIFIED,
    NAMEID_WINDOWS,
    ClaimsError,
    identity_from_oidc,
    identity_from_saml,
    split_principal,
)
from identity.presets import oidc_preset, saml_preset

PERSISTENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
TRANSIENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
CLAIMS = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("john.doe@bizagi.com", ("john.doe", "bizagi.com")),
        ("CONTOSO\\jdoe", ("jdoe", "CONTOSO")),
        ("  John.Doe@Contoso.COM ", ("John.Doe", "Contoso.COM")),
        ("jane_example.com#EXT#@contoso.onmicrosoft.com",
         ("jane_example.com#EXT#", "contoso.onmicrosoft.com")),
        ("o'brien@contoso.com", ("o'brien", "contoso.com")),
    ],
)
def test_split_principal_takes_username_before_and_domain_after_the_at(value, expected):
    assert split_principal(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "",
        "jdoe",  # no domain
        "@contoso.com",
        "jdoe@",
        "CONTOSO\\",
        "john doe@contoso.com",  # whitespace
        "<script>@contoso.com",
        "jdoe@contoso.com\x00admin",
        "jdoe@conto so.com",
        "jdoe@-contoso.com",
        "a" * 151 + "@contoso.com",
        "jdoe@" + "a" * 2000,
    ],
)
def test_split_principal_refuses_values_that_are_not_principals(value):
    with pytest.raises(ClaimsError):
        split_principal(value)


def test_saml_upn_attribute_gives_username_domain_and_email_fallback():
    identity = identity_from_saml(
        name_id="AAF23-opaque", name_id_format=PERSISTENT,
        attributes={CLAIMS + "upn": ["john.doe@bizagi.com"]}, idp="https://idp.example",
    )
    assert (identity.username, identity.domain) == ("john.doe", "bizagi.com")
    assert identity.email == "john.doe@bizagi.com"  # the full UPN when no email is sent
    assert identity.full_name == ""  # stays empty unless sent
    assert identity.protocol == "saml2"
    assert identity.idp == "https://idp.example"
    assert identity.claims_used == {"username": CLAIMS + "upn", "email": "UPN"}


@pytest.mark.parametrize(
    "attribute",
    [
        CLAIMS + "emailaddress",
        "emailAddress",
        "email",
        "http://schemas.example.com/claims/WorkEmail",
        "user.EMAIL",
    ],
)
def test_saml_email_is_any_attribute_ending_in_email_or_emailaddress(attribute):
    identity = identity_from_saml(
        name_id="jdoe@contoso.com", name_id_format=NAMEID_EMAIL,
        attributes={attribute: ["John.Doe@mail.contoso.com"]},
    )
    assert identity.email == "John.Doe@mail.contoso.com"
    assert identity.claims_used["email"] == attribute


def test_saml_mail_attribute_is_not_an_email_without_a_preset():
    identity = identity_from_saml(
        name_id="jdoe@contoso.com", name_id_format=NAMEID_EMAIL,
        attributes={"mail": ["other@contoso.com"]},
    )
    assert identity.email == "jdoe@contoso.com"


def test_saml_netiq_preset_reads_mail():
    identity = identity_from_saml(
        name_id="jdoe@contoso.com", name_id_format=NAMEID_EMAIL,
        attributes={"mail": ["other@contoso.com"]}, preset=saml_preset("netiq"),
    )
    assert identity.email == "other@contoso.com"


def test_saml_first_non_empty_email_value_wins():
    identity = identity_from_saml(
        name_id="jdoe@contoso.com", name_id_format=NAMEID_EMAIL,
        attributes={"email": ["", "  ", "second@contoso.com", "third@contoso.com"]},
    )
    assert identity.email == "second@contoso.com"


def test_saml_invalid_email_value_falls_back_to_the_upn():
    identity = identity_from_saml(
        name_id="jdoe@contoso.com", name_id_format=NAMEID_EMAIL,
        attributes={"email": ["not an email <script>"]},
    )
    assert identity.email == "jdoe@contoso.com"


@pytest.mark.parametrize("fmt", [NAMEID_EMAIL, NAMEID_UNSPECIFIED, ""])
def test_saml_nameid_carries_the_upn_in_email_or_unspecified_format(fmt):
    identity = identity_from_saml(name_id="Mary.Major@Contoso.com", name_id_format=fmt,
                                  attributes={})
    assert (identity.username, identity.domain) == ("Mary.Major", "Contoso.com")


def test_saml_windows_nameid_gives_domain_and_user_without_email():
    identity = identity_from_saml(name_id="CONTOSO\\mmajor", name_id_format=NAMEID_WINDOWS,
                                  attributes={})
    assert (identity.username, identity.domain, identity.email) == ("mmajor", "CONTOSO", "")


@pytest.mark.parametrize("fmt", [PERSISTENT, TRANSIENT])
def test_saml_opaque_nameid_is_never_a_username(fmt):
    with pytest.raises(ClaimsError, match="no username in the response"):
        identity_from_saml(name_id="mary@contoso.com", name_id_format=fmt, attributes={})


def test_saml_opaque_nameid_with_upn_attribute_uses_the_attribute():
    identity = identity_from_saml(
        name_id="x7f3-opaque", name_id_format=TRANSIENT,
        attributes={"userPrincipalName": ["mary@contoso.com"]},
    )
    assert identity.principal == "mary@contoso.com"


@pytest.mark.parametrize(
    "attributes",
    [
        {CLAIMS + "upn": ["pat@fabrikam.com"]},  # ADFS, NameFormat uri
        {"upn": ["pat@fabrikam.com"]},  # pysaml2 shortened name
        {"http://schemas.xmlsoap.org/claims/UPN": ["pat@fabrikam.com"]},
        {"userPrincipalName": ["pat@fabrikam.com"]},
        {"urn:oid:1.2.840.113556.1.4.656": ["pat@fabrikam.com"]},
        {CLAIMS + "name": ["pat@fabrikam.com"]},  # Entra ID default claims
        {"name": ["pat@fabrikam.com"]},
    ],
)
def test_saml_upn_is_found_under_every_attribute_style(attributes):
    identity = identity_from_saml(name_id="", name_id_format=TRANSIENT, attributes=attributes)
    assert identity.principal == "pat@fabrikam.com"


def test_saml_full_name_from_display_name():
    identity = identity_from_saml(
        name_id="pat@fabrikam.com", name_id_format=NAMEID_EMAIL,
        attributes={"http://schemas.microsoft.com/identity/claims/displayname": ["Pat Kim"]},
    )
    assert identity.full_name == "Pat Kim"


@pytest.mark.parametrize(
    "attributes",
    [
        {CLAIMS + "givenname": ["Pat"], CLAIMS + "surname": ["Kim"]},
        {"givenName": ["Pat"], "sn": ["Kim"]},
        {"firstName": ["Pat"], "lastName": ["Kim"]},
    ],
)
def test_saml_full_name_from_given_name_and_surname(attributes):
    identity = identity_from_saml(name_id="pat@fabrikam.com", name_id_format=NAMEID_EMAIL,
                                  attributes=attributes)
    assert identity.full_name == "Pat Kim"


def test_saml_hostile_upn_is_refused_with_a_reason():
    with pytest.raises(ClaimsError, match="not allowed"):
        identity_from_saml(name_id="", name_id_format=TRANSIENT,
                           attributes={"upn": ["<img src=x>@contoso.com"]})


def test_saml_control_characters_are_removed_from_full_name():
    identity = identity_from_saml(
        name_id="pat@fabrikam.com", name_id_format=NAMEID_EMAIL,
        attributes={"displayName": ["Pat\x07 Kim\x1b"]},
    )
    assert identity.full_name == "Pat Kim"


@pytest.mark.parametrize(
    ("claims", "principal"),
    [
        ({"upn": "ann@contoso.com", "preferred_username": "other@contoso.com"}, "ann@contoso.com"),
        ({"preferred_username": "ann@contoso.com"}, "ann@contoso.com"),
        ({"unique_name": "CONTOSO\\ann"}, "ann@CONTOSO"),
        ({"unique_name": "live.com#ann@outlook.com"}, "live.com#ann@outlook.com"),
        ({"upn": "ann_outlook.com#EXT#@contoso.onmicrosoft.com"},
         "ann_outlook.com#EXT#@contoso.onmicrosoft.com"),
    ],
)
def test_oidc_upn_comes_from_upn_then_preferred_username_then_unique_name(claims, principal):
    assert identity_from_oidc(claims={"sub": "s1", **claims}).principal == principal


def test_oidc_email_only_from_the_email_claim():
    identity = identity_from_oidc(
        claims={"upn": "ann@contoso.com", "email": "Ann.Smith@contoso.com",
                "preferred_username": "x@contoso.com"})
    assert identity.email == "Ann.Smith@contoso.com"


def test_oidc_email_falls_back_to_upn():
    assert identity_from_oidc(claims={"upn": "ann@contoso.com"}).email == "ann@contoso.com"


def test_oidc_full_name_from_name_then_given_and_family_name():
    assert identity_from_oidc(claims={"upn": "a@b.com", "name": "Ann Smith"}).full_name == (
        "Ann Smith")
    assert identity_from_oidc(
        claims={"upn": "a@b.com", "given_name": "Ann", "family_name": "Smith"}
    ).full_name == "Ann Smith"
    assert identity_from_oidc(claims={"upn": "a@b.com"}).full_name == ""


def test_oidc_without_any_username_claim_is_refused():
    with pytest.raises(ClaimsError, match="no username"):
        identity_from_oidc(claims={"sub": "abc", "email": "ann@contoso.com"})


def test_oidc_email_is_never_used_as_username():
    with pytest.raises(ClaimsError):
        identity_from_oidc(claims={"email": "ann@contoso.com"})


def test_oidc_entra_v2_preset_reads_preferred_username_without_upn():
    # upn (an optional claim in v2 tokens) still wins when sent: see identity_from_oidc.
    identity = identity_from_oidc(
        claims={"preferred_username": "new@contoso.com"}, preset=oidc_preset("entra-v2")
    )
    assert identity.principal == "new@contoso.com"


def test_unknown_preset_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown preset"):
        saml_preset("shibboleth-nope")


@pytest.mark.parametrize(
    "attributes",
    [
        {"name": ["Pat Kim"]},  # a display name in a `name` attribute is not a UPN
        {"uid": ["pkim"]},
        {},
    ],
)
def test_saml_without_a_upn_like_value_is_refused_as_no_username(attributes):
    with pytest.raises(ClaimsError, match="^no username in the response$"):
        identity_from_saml(name_id="3f2a-opaque", name_id_format=PERSISTENT,
                           attributes=attributes)


def test_saml_guest_without_email_gets_their_own_address_like_oidc():
    identity = identity_from_saml(
        name_id="", name_id_format=TRANSIENT,
        attributes={"upn": ["jane_example.com#EXT#@contoso.onmicrosoft.com"]},
    )
    assert identity.principal == "jane_example.com#EXT#@contoso.onmicrosoft.com"
    assert identity.email == "jane@example.com"
    assert identity.claims_used["email"] == "UPN (#EXT# guest's own address)"
