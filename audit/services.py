"""Write the audit trail. Audit is written by explicit calls, never by signals."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_ipv46_address

from audit.models import AuthEvent, ChangeLogEntry, EventType, SubEventType


def client_ip(request) -> str | None:
    """Return the client's IP address as the server saw it (REMOTE_ADDR).

    Behind a proxy, configure the proxy to set REMOTE_ADDR (e.g. gunicorn's
    --forwarded-allow-ips): X-Forwarded-For is not trusted here because a client
    can write it.
    """
    address = (request.META.get("REMOTE_ADDR") or "").strip() if request is not None else ""
    try:
        validate_ipv46_address(address)
    except ValidationError:
        return None
    return address


def record_auth_event(
    *,
    event_type: EventType,
    sub_event: SubEventType,
    request=None,
    username: str = "",
    domain: str = "",
    user=None,
    idp: str = "",
    protocol: str = "",
    detail: Mapping[str, Any] | None = None,
) -> AuthEvent:
    """Append one AuthEvent. Client IP and user agent come from `request` when given."""
    user_agent = request.META.get("HTTP_USER_AGENT", "") if request is not None else ""
    return AuthEvent.objects.create(
        event_type=event_type,
        sub_event=sub_event,
        username=(username or "")[:150],
        domain=(domain or "")[:255],
        user=user,
        idp=(idp or "")[:500],
        protocol=protocol or "",
        client_ip=client_ip(request),
        user_agent=user_agent[:500],
        detail=dict(detail or {}),
    )


def record_change(
    *,
    actor=None,
    actor_name: str = "",
    object_type: str,
    object_id: str = "",
    object_repr: str,
    action: str,
    field: str = "",
    old_value: str = "",
    new_value: str = "",
) -> ChangeLogEntry:
    """Append one console change: who changed what, from which value to which."""
    if actor is not None and not actor_name:
        actor_name = str(actor)
    return ChangeLogEntry.objects.create(
        actor=actor,
        actor_name=actor_name or "system",
        object_type=object_type,
        object_id=str(object_id),
        object_repr=object_repr[:500],
        action=action,
        field=field,
        old_value="" if old_value is None else str(old_value),
        new_value="" if new_value is None else str(new_value),
    )
