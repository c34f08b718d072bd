"""Custom Properties: the known keys, their types, validation and typed reads.

Properties are read at call time (never cached, never settings): an admin who
switches AutoProvisionUsers on changes the very next sign-in, on every server.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models.functions import Lower

from console.models import CustomProperty

AUTO_PROVISION_USERS = "AutoProvisionUsers"
ROLES_FOR_AUTO_PROVISIONED_USERS = "RolesForAutoProvisionedUsers"

MAX_KEY = 100
MAX_VALUE = 4000
_KEY_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,99}$")
_ROLE_NAME_RE = re.compile(r"^[^\x00-\x1f\x7f,]{1,100}$")


@dataclass(frozen=True)
class PropertySpec:
    key: str
    default: str
    help_text: str
    clean: Callable[[str], str]
    accepted: str


def _clean_boolean(value: str) -> str:
    lowered = value.strip().lower()
    if lowered not in ("true", "false"):
        raise ValidationError(
            f"{AUTO_PROVISION_USERS} must be true or false, not {value.strip()[:50]!r}."
        )
    return lowered


def parse_role_names(value: str) -> list[str]:
    """Return the role names in a comma-separated list: trimmed, empties and repeats dropped."""
    names: list[str] = []
    seen: set[str] = set()
    for part in (value or "").split(","):
        name = part.strip()
        if name and name.lower() not in seen:
            seen.add(name.lower())
            names.append(name)
    return names


def _clean_role_list(value: str) -> str:
    names = parse_role_names(value)
    bad = [name for name in names if not _ROLE_NAME_RE.match(name)]
    if bad:
        raise ValidationError(
            f"{ROLES_FOR_AUTO_PROVISIONED_USERS} must be a comma-separated list of role names "
            f"(RoleName1,RoleName2); {bad[0][:50]!r} is not a role name."
        )
    return ",".join(names)


KNOWN_PROPERTIES: dict[str, PropertySpec] = {
    spec.key.lower(): spec
    for spec in (
        PropertySpec(
            key=AUTO_PROVISION_USERS,
            default="false",
            help_text=(
                "When true, a person who signs in through the organisation's IdP and has no "
                "account yet gets one created on the spot."
            ),
            clean=_clean_boolean,
            accepted="true or false",
        ),
        PropertySpec(
            key=ROLES_FOR_AUTO_PROVISIONED_USERS,
            default="",
            help_text=(
                "Comma-separated role names given to every account created by "
                "Just-in-Time provisioning; names that do not exist are skipped."
            ),
            clean=_clean_role_list,
            accepted="a comma-separated list of role names",
        ),
    )
}


def canonical_key(key: str) -> str:
    """Return the key as stored: a known key in its documented spelling.

    Raise ValidationError for a key that is not a property name.
    """
    key = (key or "").strip()
    if not _KEY_RE.match(key):
        raise ValidationError(
            "A property name starts with a letter and holds only letters, digits, '.', '_' "
            f"or '-' (at most {MAX_KEY} characters)."
        )
    spec = KNOWN_PROPERTIES.get(key.lower())
    return spec.key if spec else key


def clean_property(key: str, value: str) -> tuple[str, str]:
    """Return (key, value) validated and normalised; raise ValidationError naming the problem."""
    key = canonical_key(key)
    value = "" if value is None else str(value)
    if len(value) > MAX_VALUE:
        raise ValidationError(f"{key} is too long (at most {MAX_VALUE} characters).")
    spec = KNOWN_PROPERTIES.get(key.lower())
    if spec is None:
        if re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", value):
            raise ValidationError(f"{key} contains control characters.")
        return key, value
    return key, spec.clean(value)


def get_raw(key: str) -> str | None:
    """Return the stored value of `key` (case-insensitive), or None when it is not set."""
    row = (
        CustomProperty.objects.annotate(key_lower=Lower("key"))
        .filter(key_lower=key.lower())
        .values_list("value", flat=True)
        .first()
    )
    return row


def get_value(key: str) -> str:
    """Return the value of `key`; a known key that is not set gives its default."""
    raw = get_raw(key)
    if raw is not None:
        return raw
    spec = KNOWN_PROPERTIES.get(key.lower())
    return spec.default if spec else ""


@dataclass(frozen=True)
class JitSettings:
    auto_provision: bool
    default_roles: tuple[str, ...]


def jit_settings() -> JitSettings:
    """Return AutoProvisionUsers (default false) and RolesForAutoProvisionedUsers in one query.

    A stored value that no longer validates (edited outside the console) reads as
    the safe default: provisioning stays off.
    """
    wanted = {AUTO_PROVISION_USERS.lower(), ROLES_FOR_AUTO_PROVISIONED_USERS.lower()}
    rows = dict(
        CustomProperty.objects.annotate(key_lower=Lower("key"))
        .filter(key_lower__in=wanted)
        .values_list("key_lower", "value")
    )
    auto = (rows.get(AUTO_PROVISION_USERS.lower()) or "").strip().lower() == "true"
    roles = parse_role_names(rows.get(ROLES_FOR_AUTO_PROVISIONED_USERS.lower()) or "")
    return JitSettings(auto_provision=auto, default_roles=tuple(roles))
