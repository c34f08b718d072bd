"""Per-IdP attribute presets: which claim carries the UPN, the email and the name.

Presets are data. The generic ones already understand every attribute style of the
supported IdPs (full claim URIs and friendly names); an IdP's preset only puts its
own habits first. An operator chooses a preset per IdP in configuration and may
override any list (see the README, "Attribute presets").
"""

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Preset:
    key: str
    label: str
    protocol: str
    # Attribute/claim names tried in order for the UPN. A name without a slash also
    # matches the last segment of a claim URI (`upn` matches `.../claims/upn`).
    username_attributes: tuple[str, ...] = ()
    # SAML only: whether a NameID in the emailAddress, unspecified or
    # WindowsDomainQualifiedName format may carry the UPN.
    username_from_name_id: bool = True
    # Tried before the generic rule (SAML: names ending in email/emailaddress;
    # OIDC: the `email` claim).
    email_attributes: tuple[str, ...] = ()
    full_name_attributes: tuple[str, ...] = ("displayname", "fullname", "full_name")
    given_name_attributes: tuple[str, ...] = ("givenname", "given_name", "firstname")
    surname_attributes: tuple[str, ...] = ("surname", "sn", "family_name", "lastname")

    def with_overrides(self, **overrides: object) -> "Preset":
        """Return a copy with the operator's overrides (lists become tuples)."""
        cleaned = {
            key: tuple(value) if isinstance(value, list | tuple) else value
            for key, value in overrides.items()
        }
        return replace(self, **cleaned)


# The generic SAML rule: explicit UPN attributes, then Entra ID's default `name` claim
# (its value is the UPN), after the NameID.
GENERIC_SAML = Preset(
    key="generic",
    label="Generic SAML 2.0",
    protocol="saml2",
    username_attributes=("upn", "userprincipalname", "name"),
)

GENERIC_OIDC = Preset(
    key="generic",
    label="Generic OpenID Connect",
    protocol="oidc",
    username_attributes=("upn", "preferred_username", "unique_name"),
    email_attributes=("email",),
    full_name_attributes=("name",),
    given_name_attributes=("given_name",),
    surname_attributes=("family_name",),
)

SAML_PRESETS: dict[str, Preset] = {
    preset.key: preset
    for preset in (
        GENERIC_SAML,
        # Entra ID default claims: NameID = user.userprincipalname, .../claims/name = UPN.
        replace(
            GENERIC_SAML,
            key="entra",
            label="Microsoft Entra ID",
            username_attributes=("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name",
                                 "upn"),
            full_name_attributes=("http://schemas.microsoft.com/identity/claims/displayname",),
        ),
        # ADFS claim rules usually issue the UPN claim and a NameID from it.
        replace(
            GENERIC_SAML,
            key="adfs",
            label="AD FS",
            username_attributes=("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn",
                                 "http://schemas.xmlsoap.org/claims/UPN", "upn"),
        ),
        # Okta: NameID is the Okta username (an email-shaped login) unless mapped.
        replace(
            GENERIC_SAML,
            key="okta",
            label="Okta",
            username_attributes=("userPrincipalName", "upn", "login"),
            email_attributes=("email",),
            full_name_attributes=("displayName",),
            given_name_attributes=("firstName", "givenName"),
            surname_attributes=("lastName", "surname"),
        ),
        replace(
            GENERIC_SAML,
            key="pingfederate",
            label="PingFederate",
            username_attributes=("userPrincipalName", "upn", "SAML_SUBJECT"),
            email_attributes=("mail",),
        ),
        # NetIQ Access Manager commonly releases LDAP names (mail, cn, sn).
        replace(
            GENERIC_SAML,
            key="netiq",
            label="NetIQ Access Manager",
            username_attributes=("userPrincipalName", "upn"),
            email_attributes=("mail", "urn:oid:0.9.2342.19200300.100.1.3"),
            full_name_attributes=("fullName", "displayName"),
        ),
        replace(
            GENERIC_SAML,
            key="siteminder",
            label="CA SiteMinder / Symantec",
            username_attributes=("UPN", "userPrincipalName", "smuserdn_upn"),
            email_attributes=("mail",),
        ),
    )
}

OIDC_PRESETS: dict[str, Preset] = {
    preset.key: preset
    for preset in (
        GENERIC_OIDC,
        # Every OIDC preset keeps the order upn > preferred_username > unique_name
        # (identity.claims.identity_from_oidc says why); a preset only leaves out the
        # claims its tokens never carry, so a stray claim cannot pick the account.
        # Entra ID v1 tokens: upn for members, unique_name for everyone (live.com#... for
        # Microsoft-account guests); no preferred_username.
        replace(
            GENERIC_OIDC,
            key="entra-v1",
            label="Azure AD / Entra ID (v1 tokens)",
            username_attributes=("upn", "unique_name"),
        ),
        # Entra ID v2 tokens: preferred_username carries the UPN; upn only as an
        # optional claim; no unique_name.
        replace(
            GENERIC_OIDC,
            key="entra-v2",
            label="Azure AD / Entra ID (v2 tokens)",
            username_attributes=("upn", "preferred_username"),
        ),
        # AD FS 4: upn, and unique_name as DOMAIN\user.
        replace(
            GENERIC_OIDC,
            key="adfs",
            label="AD FS 4",
            username_attributes=("upn", "unique_name"),
        ),
    )
}


def saml_preset(key: str | None, **overrides: object) -> Preset:
    """Return the SAML preset `key` (generic when empty) with any overrides applied."""
    return _lookup(SAML_PRESETS, key, overrides)


def oidc_preset(key: str | None, **overrides: object) -> Preset:
    """Return the OIDC preset `key` (generic when empty) with any overrides applied."""
    return _lookup(OIDC_PRESETS, key, overrides)


def _lookup(presets: dict[str, Preset], key: str | None, overrides: dict) -> Preset:
    key = (key or "generic").strip().lower()
    if key not in presets:
        raise ValueError(f"unknown preset {key!r}; choose one of {', '.join(sorted(presets))}")
    preset = presets[key]
    return preset.with_overrides(**overrides) if overrides else preset
