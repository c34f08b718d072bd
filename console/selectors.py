"""Reads for the Management Console: the queries behind its pages.

The authentication log can hold millions of rows: nothing here counts it whole.
Every query on it is bounded by a date range or a LIMIT and served by one of the
indexes declared on `AuthEvent`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Lower, TruncDate
from django.utils import timezone

from audit.models import AuthEvent, ChangeLogEntry, EventType, SubEventType
from console.properties import parse_role_names
from identity.models import Role, User

REFUSED = EventType.FAILED_LOGIN


def unknown_role_names(value: str) -> list[str]:
    """Return the role names in a comma-separated list that name no existing role.

    Provisioning grants only existing roles; the console warns about the rest.
    """
    names = parse_role_names(value)
    if not names:
        return []
    found = {name.lower() for name in Role.objects.named(names).values_list("name", flat=True)}
    return [name for name in names if name.lower() not in found]


def user_list() -> QuerySet[User]:
    """Return every user with roles prefetched, newest first by default."""
    return User.objects.prefetch_related("roles").order_by("-date_joined", "-id")


def role_list() -> QuerySet[Role]:
    """Return every role with its member count (`members`)."""
    return Role.objects.annotate(members=Count("users")).order_by("name")


def auth_event_list() -> QuerySet[AuthEvent]:
    """Return the authentication log, newest first.

    The linked user is not joined: the table links by `user_id`, and a join would
    be paid for every row an OFFSET skips on deep pages.
    """
    return AuthEvent.objects.order_by("-created_at", "-id")


def change_list() -> QuerySet[ChangeLogEntry]:
    """Return the console's change log, newest first."""
    return ChangeLogEntry.objects.select_related("actor").order_by("-created_at", "-id")


def recent_sign_ins(*, user: User, limit: int = 10) -> list[AuthEvent]:
    """Return the latest events of the user's principal, refusals before the account included.

    Matched on (username, domain) like a sign-in is, so "User not found" events from
    before the account existed show too.
    """
    return list(
        AuthEvent.objects.alias(username_lower=Lower("username"), domain_lower=Lower("domain"))
        .filter(username_lower=user.username.lower(), domain_lower=user.domain.lower())
        .order_by("-created_at", "-id")[:limit]
    )


def provisioning_event(*, user: User) -> AuthEvent | None:
    """Return the "Auto-provisioned user" event that created the account, if any."""
    return (
        AuthEvent.objects.filter(user=user, sub_event=SubEventType.AUTO_PROVISIONED)
        .order_by("created_at", "id")
        .first()
    )


@dataclass(frozen=True)
class HomeFigures:
    users: int
    active_users: int
    provisioned_7_days: int
    provisioned_30_days: int
    refused_24_hours: int


def home_figures(*, now: datetime | None = None) -> HomeFigures:
    """Return the console home's counts. Each one is bounded by an index or a date range."""
    now = now or timezone.now()
    users = User.objects.aggregate(
        total=Count("id"),
        active=Count("id", filter=Q(is_active=True)),
        provisioned_7=Count(
            "id", filter=Q(auto_provisioned=True, date_joined__gte=now - timedelta(days=7))
        ),
        provisioned_30=Count(
            "id", filter=Q(auto_provisioned=True, date_joined__gte=now - timedelta(days=30))
        ),
    )
    refused = AuthEvent.objects.filter(
        event_type=REFUSED, created_at__gte=now - timedelta(hours=24)
    ).count()
    return HomeFigures(
        users=users["total"],
        active_users=users["active"],
        provisioned_7_days=users["provisioned_7"],
        provisioned_30_days=users["provisioned_30"],
        refused_24_hours=refused,
    )


@dataclass(frozen=True)
class DayCount:
    day: date
    sign_ins: int
    provisioned: int


def daily_sign_ins(*, days: int = 30, now: datetime | None = None) -> list[DayCount]:
    """Return, for each of the last `days` days (today included), the successful sign-ins
    and the accounts auto-provisioned that day. Days without any count zero.

    An auto-provisioned sign-in is a sign-in too, so it counts in both series.
    Days are in the server's time zone (TIME_ZONE).
    """
    now = timezone.localtime(now or timezone.now())
    zone = timezone.get_current_timezone()
    first = now.date() - timedelta(days=days - 1)
    start = timezone.make_aware(datetime.combine(first, datetime.min.time()))
    # COUNT(*) over (event_type, created_at) only: PostgreSQL answers from the index
    # alone, without visiting some 70 000 rows of a busy month.
    sign_ins = dict(
        AuthEvent.objects.filter(event_type=EventType.LOGIN, created_at__gte=start)
        .annotate(day=TruncDate("created_at", tzinfo=zone))
        .values("day")
        .annotate(count=Count("*"))
        .order_by()
        .values_list("day", "count")
    )
    # Accounts made by JIT are users flagged so, dated by when they joined.
    provisioned = dict(
        User.objects.filter(auto_provisioned=True, date_joined__gte=start)
        .annotate(day=TruncDate("date_joined", tzinfo=zone))
        .values("day")
        .annotate(count=Count("*"))
        .order_by()
        .values_list("day", "count")
    )
    result = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        result.append(
            DayCount(day=day, sign_ins=sign_ins.get(day, 0), provisioned=provisioned.get(day, 0))
        )
    return result


def auth_event_rows(queryset: QuerySet[AuthEvent], *, chunk_size: int = 2000) -> Iterator[tuple]:
    """Yield the export columns of each event in `queryset`, fetched `chunk_size` at a time.

    The rows stream from a server-side cursor on PostgreSQL: memory stays flat
    whatever the number of events.
    """
    rows = queryset.order_by("-created_at", "-id").values_list(
        "created_at", "event_type", "sub_event", "username", "domain", "user_id", "idp",
        "protocol", "client_ip", "user_agent", "detail",
    )
    for created_at, *middle, detail in rows.iterator(chunk_size=chunk_size):
        yield (created_at.isoformat(), *middle, json.dumps(detail, sort_keys=True))
