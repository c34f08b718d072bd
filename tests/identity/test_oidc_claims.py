"""The OpenID Connect extraction rules (identity.claims.identity_from_oidc): one case per rule."""

import pytest

from identity.claims import ClaimsError, identity_from_oidc
from identity.presets import oidc_preset


@pytest.mark.parametrize(
    ("claims", "expected"),
    [
        # The UPN a@b gives username a and domain b.
        ({"upn": "john.doe@bizagi.com"}, ("john.doe", "bizagi.com")),
        # DOMAIN\user gives domain DOMAIN and username user (AD FS unique_name).
        ({"unique_name": "FABRIKAM\\jdoe"}, ("jdoe", "FABRIKAM")),
        # Entra v2 sends preferred_username in place of upn.
        ({"preferred_username": "MeganB@contoso.com"}, ("MeganB", "contoso.com")),
        # upn wins over preferred_username: the directory's principal name.
        ({"preferred_username": "megan@mail.example", "upn": "MeganB@contoso.com"},
         ("MeganB", "contoso.com")),
        # upn wins over unique_name: AD FS sends both, DOMAIN\user is another name.
        ({"unique_name": "FABRIKAM\\jdoe", "upn": "john.doe@fabrikam.com"},
         ("john.doe", "fabrikam.com")),
        # preferred_username wins over unique_name.
        ({"unique_name": "CONTOSO\\mb", "preferred_username": "MeganB@contoso.com"},
         ("MeganB", "contoso.com")),
        # A claim that is no principal (an Entra phone-number sign-in) yields to the next.
        ({"upn": "+15551234", "unique_name": "CONTOSO\\mb"}, ("mb", "CONTOSO")),
        # Entra v1 tags Microsoft-account guests: the tagged principal is kept whole,
        # so it never merges with a directory account of the same address.
        ({"unique_name": "live.com#lee.gu@outlook.com"}, ("live.com#lee.gu", "outlook.com")),
        # A B2B guest's #EXT# UPN is kept whole, as the tenant (and SAML) names the guest.
        ({"upn": "pradeep_fabrikam.com#EXT#@contoso.onmicrosoft.com"},
         ("pradeep_fabrikam.com#EXT#", "contoso.onmicrosoft.com")),
        # The email claim never names the account.
        ({"email": "someone@contoso.com", "upn": "other@contoso.com"}, ("other", "contoso.com")),
    ],
)
def test_username_and_domain(claims, expected):
    identity = identity_from_oidc(claims=claims)

    assert (identity.username, identity.domain) == expected
    assert identity.protocol == "oidc"


@pytest.mark.parametrize(
    ("claims", "email"),
    [
        # The email claim, when sent.
        ({"upn": "a@contoso.com", "email": "alice@mail.contoso.com"}, "alice@mail.contoso.com"),
        # Without an email claim, the full UPN.
        ({"upn": "a@contoso.com"}, "a@contoso.com"),
        # Only the `email` claim counts: other *email-like names are SAML's rule.
        ({"upn": "a@contoso.com", "verified_primary_email": "x@y.com"}, "a@contoso.com"),
        # An invalid email claim is passed over for the UPN.
        ({"upn": "a@contoso.com", "email": "not an address"}, "a@contoso.com"),
        # DOMAIN\user is no address: no contact email.
        ({"unique_name": "FABRIKAM\\jdoe"}, ""),
        # A guest without an email claim gets their own address, not the #EXT# UPN ...
        ({"upn": "pradeep_fabrikam.com#EXT#@contoso.onmicrosoft.com"}, "pradeep@fabrikam.com"),
        # ... the last _ was the @: underscores in the guest's own name stay.
        ({"upn": "first_last_fabrikam.com#EXT#@contoso.onmicrosoft.com"},
         "first_last@fabrikam.com"),
        # ... and a Microsoft account without its live.com# tag.
        ({"unique_name": "live.com#lee.gu@outlook.com"}, "lee.gu@outlook.com"),
    ],
)
def test_email(claims, email):
    assert identity_from_oidc(claims=claims).email == email


@pytest.mark.parametrize(
    ("claims", "full_name"),
    [
        ({"upn": "a@b.com", "name": "Adele Vance"}, "Adele Vance"),
        ({"upn": "a@b.com", "given_name": "John", "family_name": "Doe"}, "John Doe"),
        ({"upn": "a@b.com", "name": "Adele Vance", "given_name": "X"}, "Adele Vance"),
        # Stays empty unless the IdP sends it.
        ({"upn": "a@b.com"}, ""),
    ],
    ids=["name", "given-and-family", "name-wins", "none-sent"],
)
def test_full_name(claims, full_name):
    assert identity_from_oidc(claims=claims).full_name == full_name


@pytest.mark.parametrize(
    ("claims", "message"),
    [
        ({}, "no username"),
        ({"email": "a@contoso.com", "name": "A"}, "no username"),
        ({"preferred_username": "alice"}, "no username"),
        ({"upn": "a b@contoso.com"}, "not allowed"),
    ],
    ids=["nothing", "email-only", "no-domain", "bad-characters"],
)
def test_claims_that_name_nobody_are_refused(claims, message):
    with pytest.raises(ClaimsError, match=message):
        identity_from_oidc(claims=claims)


@pytest.mark.parametrize(
    ("preset", "claims", "expected"),
    [
        # Entra v1 tokens carry no preferred_username: a stray one does not pick the account.
        ("entra-v1", {"preferred_username": "x@evil.example", "unique_name": "a@contoso.com"},
         ("a", "contoso.com")),
        # Entra v2: upn (optional claim) still wins over preferred_username.
        ("entra-v2", {"preferred_username": "m@mail.example", "upn": "MeganB@contoso.com"},
         ("MeganB", "contoso.com")),
        # AD FS 4: upn, then unique_name.
        ("adfs", {"unique_name": "FABRIKAM\\jdoe"}, ("jdoe", "FABRIKAM")),
    ],
)
def test_presets(preset, claims, expected):
    identity = identity_from_oidc(claims=claims, preset=oidc_preset(preset))

    assert (identity.username, identity.domain) == expected


def test_claims_used_are_recorded_for_the_audit_trail():
    identity = identity_from_oidc(
        claims={"unique_name": "live.com#lee.gu@outlook.com", "name": "Lee Gu"}
    )

    assert identity.claims_used == {
        "username": "unique_name",
        "email": "UPN (without its live.com# tag)",
        "full_name": "name",
    }
