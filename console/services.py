"""Writes made by the Management Console and the `properties` command."""

from __future__ import annotations

from django.db import transaction
from django.db.models.functions import Lower

from audit.services import record_change
from console.models import CustomProperty
from console.properties import canonical_key, clean_property


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
