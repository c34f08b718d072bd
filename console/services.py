"""Writes made by the Management Console and the `properties` command.

Every write records who changed what, from which value to which (the change log).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower

from audit.services import record_change
from console.models import CustomProperty
from console.properties import canonical_key, clean_property
from identity.models import Role, User


@transaction.atomic
def set_property(*, key: str, value: str, actor=None, actor_name: str = "") -> CustomProperty:
    """Validate and store a property, recording the change. Raise ValidationError if invalid.

    Nothing is saved when the value is refused.
    """
    key, value = clean_property(key, value)
    existing = (
        CustomProperty.objects.select_for_update()
        .annotate(key_lower=Lower("key"))
        .filter(key_lower=key.lower())
        .first()
    )
    old = existing.value if existing else ""
    if existing is None:
        prop = CustomProperty.objects.create(key=key, value=value)
        action = "create"
    else:
        prop = existing
        if prop.value == value and prop.key == key:
            return prop
        prop.key, prop.value = key, value
        prop.save(update_fields=["key", "value", "updated_at"])
        action = "update"
    record_change(
        actor=actor, actor_name=actor_name, object_type="property", object_id=str(prop.pk),
        object_repr=key, action=action, field="value", old_value=old, new_value=value,
    )
    return prop


@transaction.atomic
def delete_property(*, key: str, actor=None, actor_name: str = "") -> bool:
    """Delete a property (a known one falls back to its default). Return whether it existed."""
    key = canonical_key(key)
    prop = (
        CustomProperty.objects.select_for_update()
        .annotate(key_lower=Lower("key"))
        .filter(key_lower=key.lower())
        .first()
    )
    if prop is None:
        return False
    record_change(
        actor=actor, actor_name=actor_name, object_type="property", object_id=str(prop.pk),
        object_repr=prop.key, action="delete", field="value", old_value=prop.value,
    )
    prop.delete()
    return True


# --- users -------------------------------------------------------------------

_PROFILE_FIELDS = ("email", "full_name")


@transaction.atomic
def update_user_profile(*, user: User, actor, **changes: str) -> list[str]:
    """Change a user's contact details (email, full name); return the fields that changed.

    Username and domain are what the IdP sends and are never edited here: changing
    them would silently hand the account to someone else at the next sign-in.
    """
    unknown = set(changes) - set(_PROFILE_FIELDS)
    if unknown:
        raise ValueError(f"not a profile field: {', '.join(sorted(unknown))}")
    user = User.objects.select_for_update().get(pk=user.pk)
    changed = []
    for field, new in changes.items():
        old = getattr(user, field)
        if old == new:
            continue
        setattr(user, field, new)
        changed.append(field)
        record_change(
            actor=actor, object_type="user", object_id=str(user.pk), object_repr=user.principal,
            action="update", field=field, old_value=old, new_value=new,
        )
    if changed:
        user.save(update_fields=changed)
    return changed


@transaction.atomic
def set_user_active(*, user: User, active: bool, actor) -> bool:
    """Activate or deactivate a user; return whether anything changed.

    Deactivating deletes nothing: the account, its roles and its history stay, and
    its next sign-in is refused as "User not enabled". An admin cannot deactivate
    their own account, so a console can never lock out the last person using it.
    """
    user = User.objects.select_for_update().get(pk=user.pk)
    if not active and actor is not None and user.pk == actor.pk:
        raise ValidationError("You cannot deactivate your own account.")
    if user.is_active == active:
        return False
    user.is_active = active
    user.save(update_fields=["is_active"])
    record_change(
        actor=actor, object_type="user", object_id=str(user.pk), object_repr=user.principal,
        action="activate" if active else "deactivate", field="is_active",
        old_value=str(not active).lower(), new_value=str(active).lower(),
    )
    return True


@transaction.atomic
def set_user_roles(*, user: User, roles: Iterable[Role], actor) -> tuple[list[str], list[str]]:
    """Make `roles` the user's roles, recording each grant and removal.

    Return (granted, removed) role names.
    """
    user = User.objects.select_for_update().get(pk=user.pk)
    wanted = {role.pk: role for role in roles}
    current = {role.pk: role for role in user.roles.all()}
    grant = [wanted[pk] for pk in wanted.keys() - current.keys()]
    remove = [current[pk] for pk in current.keys() - wanted.keys()]
    if grant:
        user.roles.add(*grant)
    if remove:
        user.roles.remove(*remove)
    for role in sorted(grant, key=lambda r: r.name.lower()):
        record_change(
            actor=actor, object_type="user", object_id=str(user.pk), object_repr=user.principal,
            action="grant_role", field="roles", new_value=role.name,
        )
    for role in sorted(remove, key=lambda r: r.name.lower()):
        record_change(
            actor=actor, object_type="user", object_id=str(user.pk), object_repr=user.principal,
            action="remove_role", field="roles", old_value=role.name,
        )
    return sorted(r.name for r in grant), sorted(r.name for r in remove)


# --- roles -------------------------------------------------------------------

_ROLE_FIELDS = ("name", "display_name", "description")


def save_role(*, role: Role | None = None, actor, **values: str) -> Role:
    """Create a role, or change one, recording every field that changed.

    Raise ValidationError when another role already has the name (case-insensitive).
    """
    unknown = set(values) - set(_ROLE_FIELDS)
    if unknown:
        raise ValueError(f"not a role field: {', '.join(sorted(unknown))}")
    try:
        with transaction.atomic():
            if role is None:
                role = Role.objects.create(**values)
                record_change(
                    actor=actor, object_type="role", object_id=str(role.pk),
                    object_repr=role.name, action="create", field="name", new_value=role.name,
                )
                return role
            role = Role.objects.select_for_update().get(pk=role.pk)
            changed = []
            for field, new in values.items():
                old = getattr(role, field)
                if old != new:
                    setattr(role, field, new)
                    changed.append((field, old, new))
            if changed:
                role.save(update_fields=[field for field, _, _ in changed])
            for field, old, new in changed:
                record_change(
                    actor=actor, object_type="role", object_id=str(role.pk),
                    object_repr=role.name, action="update", field=field,
                    old_value=old, new_value=new,
                )
            return role
    except IntegrityError as exc:
        # The case-insensitive unique constraint decides, not a lookup beforehand.
        raise ValidationError(
            f"A role named {values.get('name', '')!r} already exists (names ignore case)."
        ) from exc


@transaction.atomic
def delete_role(*, role: Role, actor) -> None:
    """Delete a role that has no members; raise ValidationError naming how many it has."""
    role = Role.objects.select_for_update().get(pk=role.pk)
    members = role.users.count()
    if members:
        raise ValidationError(
            f"{role.name} still has {members} member{'s' if members != 1 else ''}; remove the "
            "role from them first (deleting it would silently take their access away)."
        )
    record_change(
        actor=actor, object_type="role", object_id=str(role.pk), object_repr=role.name,
        action="delete", field="name", old_value=role.name,
    )
    role.delete()
