"""Turn what an Identity Provider sends into an `Identity`.

Reading guide: `split_principal` is the one rule for a UPN (`a@b`, `DOMAIN\\a`);
`identity_from_saml` and `identity_from_oidc` apply the specification's extraction
rules to a SAML assertion's NameID and attributes or to OIDC claims, steered by an
optional `Preset` (see `identity/presets.py`). Everything here is pure: no database,
no request, so the console's provisioning preview and the sign-in share it.

The rules (the product specification):
- username and domain always come from the IdP's claims: the UPN's part before the
  @ and after it, or `DOMAIN\\user`;
- email: OIDC reads `email`; SAML reads any attribute whose name ends in `email` or
  `emailaddress` (case-insensitive); without one the contact email is the full UPN;
- full name stays empty unless the IdP sends it;
- an opaque NameID (transient, persistent) is never a username.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator

from identity.presets import GENERIC_OIDC, GENERIC_SAML, Preset

SAML2 = "saml2"
OIDC = "oidc"

NAMEID_UNSPECIFIED = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
NAMEID_EMAIL = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
NAMEID_WINDOWS = "urn:oasis:names:tc:SAML:1.1:nameid-format:WindowsDomainQualifiedName"
# Transient and persistent identifiers are opaque by definition; X.509 subjects,
# entities and Kerberos names are not UPNs either.
NAMEID_FORMATS_WITH_UPN = frozenset({"", NAMEID_UNSPECIFIED, NAMEID_EMAIL, NAMEID_WINDOWS})

MAX_USERNAME = 150
MAX_DOMAIN = 255
MAX_FULL_NAME = 300
MAX_VALUE = 1024

# A UPN's user part: no spaces, no controls, nothing that has a meaning in a principal
# or in markup. Guest UPNs (`john_example.com#EXT#`) and apostrophes stay valid.
_USERNAME_RE = re.compile(r"^[^\s\x00-\x1f\x7f@\\/<>\"`,;:()\[\]{}|=*?]+$")
# A DNS domain or a NetBIOS domain name.
_DOMAIN_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9_.-]*[A-Za-z0-9])?$")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_email_validator = EmailValidator()


class ClaimsError(ValueError):
    """The IdP's claims do not identify a person; the message is the audit reason."""


@dataclass(frozen=True)
class Identity:
    """Who the IdP says signed in, as the provisioning service needs it."""

    username: str
    domain: str
    email: str = ""
    full_name: str = ""
    idp: str = ""
    protocol: str = ""
    # Which claim gave which value, recorded in the audit trail of a provisioning.
    claims_used: Mapping[str, str] = field(default_factory=dict, compare=False)
    attributes: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def principal(self) -> str:
        return f"{self.username}@{self.domain}"


def split_principal(value: str) -> tuple[str, str]:
    """Return (username, domain) from `user@domain` or `DOMAIN\\user`.

    Raise ClaimsError when the value is not such a principal or carries characters
    no principal has. The value's case is kept; matching ignores it.
    """
    value = (value or "").strip()
    if not value:
        raise ClaimsError("no username in the response")
    if len(value) > MAX_VALUE:
        raise ClaimsError("the username claim is too long")
    if "\\" in value:
        domain, _, username = value.partition("\\")
    elif "@" in value:
        # rpartition: the domain is after the last @, as in every UPN.
        username, _, domain = value.rpartition("@")
    else:
        raise ClaimsError(
            f"the username {_shown(value)} has no domain (user@domain or DOMAIN\\user)"
        )
    if not username or not domain:
        raise ClaimsError(f"the username {_shown(value)} is not a user@domain or DOMAIN\\user name")
    if len(username) > MAX_USERNAME or len(domain) > MAX_DOMAIN:
        raise ClaimsError("the username or domain is too long")
    if not _USERNAME_RE.match(username):
        raise ClaimsError(f"the username {_shown(value)} contains characters that are not allowed")
    if not _DOMAIN_RE.match(domain):
        raise ClaimsError(f"the domain in {_shown(value)} is not a valid domain name")
    return username, domain


def identity_from_saml(
    *,
    name_id: str = "",
    name_id_format: str = "",
    attributes: Mapping[str, Sequence[Any] | Any],
    idp: str = "",
    preset: Preset = GENERIC_SAML,
) -> Identity:
    """Return the Identity in a SAML assertion's NameID and attributes.

    Attribute names may be full claim URIs or friendly names (pysaml2 shortens
    known URIs when the IdP sends no NameFormat): both are understood. The UPN is
    taken from the preset's username attributes, then from the NameID when its
    format can carry one, then from the generic UPN attribute names.
    """
    values = _normalise_attributes(attributes)
    candidates: list[tuple[str, str]] = []
    for name in preset.username_attributes:
        candidates += [(attr, v) for attr, v in _values_named(values, name)]
    if preset.username_from_name_id and name_id_format.strip() in NAMEID_FORMATS_WITH_UPN:
        candidates.append(("NameID", name_id))
    for name in GENERIC_SAML.username_attributes:
        candidates += [(attr, v) for attr, v in _values_named(values, name)]

    email_candidates = [
        (a, v) for name in preset.email_attributes for a, v in _values_named(values, name)
    ] + [(a, v) for a, vs in values.items() if _is_email_attribute(a) for v in vs]
    return _assemble(
        values, candidates, email_candidates, preset=preset, idp=idp, protocol=SAML2
    )


def identity_from_oidc(
    *, claims: Mapping[str, Any], idp: str = "", preset: Preset = GENERIC_OIDC
) -> Identity:
    """Return the Identity in OpenID Connect claims (ID token completed by userinfo).

    The UPN comes from `upn`, then `preferred_username`, then `unique_name`, unless
    the preset orders them otherwise. `upn` wins because it is the directory's own
    principal name, unique in the tenant and the same value SAML sends (Entra v1
    tokens and AD FS 4 carry it); `preferred_username` is what Entra v2 sends in its
    place, but Microsoft documents it as mutable and not always a UPN, so it comes
    second; `unique_name` is last because AD FS fills it with `DOMAIN\\user` (another
    name for the same person) and Entra v1 tags outside accounts with `live.com#`.

    Accounts from outside the tenant keep the principal the token gives, whole, so
    they can never merge with a directory account of the same address (the asserting
    tenant does not own that address): a B2B guest's UPN
    `pradeep_fabrikam.com#EXT#@contoso.onmicrosoft.com` is username
    `pradeep_fabrikam.com#EXT#` in domain `contoso.onmicrosoft.com` (as Entra lists the
    guest and as SAML's NameID names them), and Entra v1's `live.com#lee@outlook.com`
    (a Microsoft account) is username `live.com#lee` in domain `outlook.com`.
    The email comes from the `email` claim only; without one it is the UPN, except that
    for those two forms it is the person's own address (`pradeep@fabrikam.com`,
    `lee@outlook.com`), because the #EXT# UPN receives no mail. Email is contact data
    only: it never selects the account.
    """
    values = _normalise_attributes(claims)
    candidates = [
        (name, v) for name in preset.username_attributes for _, v in _values_named(values, name)
    ]
    email_candidates = [
        (a, v) for name in preset.email_attributes for a, v in _values_named(values, name)
    ]
    return _assemble(values, candidates, email_candidates, preset=preset, idp=idp, protocol=OIDC)


def _assemble(
    values: Mapping[str, list[str]],
    candidates: list[tuple[str, str]],
    email_candidates: list[tuple[str, str]],
    *,
    preset: Preset,
    idp: str,
    protocol: str,
) -> Identity:
    """Apply the rules both protocols share once their candidates are listed.

    The UPN is the first candidate that is a principal; the email the first valid
    candidate, else the person's own address behind the UPN; the full name only
    when sent.
    """
    used: dict[str, str] = {}
    source, upn = _first_principal(candidates)
    username, domain = split_principal(upn)
    used["username"] = source

    email_source, email = _first_email(email_candidates)
    address, form = _own_address(upn)
    email, email_source = _email_or_upn(email, email_source, address)
    if email_source == "UPN" and form:
        email_source = f"UPN ({form})"
    if email_source:
        used["email"] = email_source

    full_name, name_source = _full_name(values, preset)
    if name_source:
        used["full_name"] = name_source

    return Identity(
        username=username,
        domain=domain,
        email=email,
        full_name=full_name,
        idp=idp,
        protocol=protocol,
        claims_used=used,
        attributes={k: list(v) for k, v in values.items()},
    )


def short_name(attribute: str) -> str:
    """Return an attribute's short name: the last segment of a claim URI, lowercased.

    `http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn` -> `upn`; OIDs map
    to their LDAP names (`urn:oid:2.5.4.42` -> `givenname`).
    """
    name = attribute.strip().lower()
    if name in _OID_NAMES:
        return _OID_NAMES[name]
    return re.split(r"[/:#]", name.rstrip("/"))[-1]


# --- helpers -------------------------------------------------------------------

_OID_NAMES = {
    "urn:oid:1.2.840.113556.1.4.656": "userprincipalname",
    "urn:oid:0.9.2342.19200300.100.1.3": "mail",
    "urn:oid:2.16.840.1.113730.3.1.241": "displayname",
    "urn:oid:2.5.4.42": "givenname",
    "urn:oid:2.5.4.4": "sn",
    "urn:oid:2.5.4.3": "cn",
    "urn:oid:0.9.2342.19200300.100.1.1": "uid",
}


def _shown(value: str) -> str:
    """Quote a hostile value for a message: short, printable, never raw."""
    cleaned = _CONTROL_RE.sub("?", value)
    return repr(cleaned[:80] + ("..." if len(cleaned) > 80 else ""))


def _normalise_attributes(attributes: Mapping[str, Any]) -> dict[str, list[str]]:
    """Return every attribute as a list of stripped strings, empties dropped."""
    result: dict[str, list[str]] = {}
    for name, raw in (attributes or {}).items():
        if not isinstance(name, str):
            continue
        items = raw if isinstance(raw, list | tuple) else [raw]
        strings = [
            str(item).strip()
            for item in items
            if isinstance(item, str | int | float) and not isinstance(item, bool)
        ]
        strings = [s for s in strings if s]
        if strings:
            result[name] = strings
    return result


def _values_named(values: Mapping[str, list[str]], wanted: str) -> Iterable[tuple[str, str]]:
    """Yield (attribute, value) for attributes called `wanted`, by full or short name."""
    wanted_full = wanted.strip().lower()
    wanted_short = short_name(wanted)
    for attribute, items in values.items():
        full = attribute.strip().lower()
        if full == wanted_full or (
            "/" not in wanted_full and short_name(attribute) == wanted_short
        ):
            for item in items:
                yield attribute, item


def _first_principal(candidates: list[tuple[str, str]]) -> tuple[str, str]:
    """Return the first candidate that is a principal; else the first error."""
    first_error: ClaimsError | None = None
    for source, value in candidates:
        if not value:
            continue
        try:
            split_principal(value)
        except ClaimsError as exc:
            # A UPN-shaped value that fails is worth naming (a hostile or broken UPN);
            # anything else (a display name, an opaque id) just is not a username.
            if "@" in value or "\\" in value:
                first_error = first_error or exc
            continue
        return source, value.strip()
    raise first_error or ClaimsError("no username in the response")


# Entra ID v1 tags an account from another identity provider in unique_name:
# `live.com#user@outlook.com` (a Microsoft account). The tag is a domain name.
_ACCOUNT_TAG_RE = re.compile(r"^[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+#(?=[^#@]+@[^@]+$)")
# A guest's UPN in the inviting tenant: the guest's address with @ turned into _,
# then #EXT#, then the tenant's domain. A domain has no _, so the last _ was the @.
_GUEST_UPN_RE = re.compile(r"^(?P<local>.+)_(?P<home>[^_@#\\]+)#EXT#@[^@]+$", re.IGNORECASE)


def _own_address(upn: str) -> tuple[str, str]:
    """Return (the person's own address, which outside-account form it was) or (upn, '')."""
    guest = _GUEST_UPN_RE.match(upn)
    if guest:
        return f"{guest['local']}@{guest['home']}", "#EXT# guest's own address"
    tag = _ACCOUNT_TAG_RE.match(upn)
    if tag:
        return upn[tag.end():], f"without its {tag.group(0)} tag"
    return upn, ""


def _is_email_attribute(attribute: str) -> bool:
    name = attribute.strip().lower()
    return name.endswith("email") or name.endswith("emailaddress")


def _valid_email(value: str) -> bool:
    if len(value) > 254 or _CONTROL_RE.search(value):
        return False
    try:
        _email_validator(value)
    except ValidationError:
        return False
    return True


def _first_email(candidates: list[tuple[str, str]]) -> tuple[str, str]:
    """Return (source, email) for the first valid address; invalid ones are passed over."""
    for source, value in candidates:
        if value and _valid_email(value):
            return source, value
    return "", ""


def _email_or_upn(email: str, source: str, upn: str) -> tuple[str, str]:
    """Fall back to the full UPN as contact email when the IdP sent none."""
    if email:
        return email, source
    if "@" in upn and _valid_email(upn):
        return upn, "UPN"
    return "", ""


def _full_name(values: Mapping[str, list[str]], preset: Preset) -> tuple[str, str]:
    """Return (full name, source): a display name, else given name + surname."""
    for name in preset.full_name_attributes:
        for attribute, value in _values_named(values, name):
            return _clean_name(value), attribute
    given = next((v for n in preset.given_name_attributes for _, v in _values_named(values, n)), "")
    family = next((v for n in preset.surname_attributes for _, v in _values_named(values, n)), "")
    joined = " ".join(part for part in (given, family) if part)
    if joined:
        return _clean_name(joined), "given name + surname"
    return "", ""


def _clean_name(value: str) -> str:
    return _CONTROL_RE.sub("", value).strip()[:MAX_FULL_NAME]
