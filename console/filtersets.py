"""Filters of the console's list pages; the auth-log CSV export reuses AuthEventFilterSet.

Filters on the authentication log compare through the same `lower(...)` expressions
its indexes are built on, so a filtered page reads an index range, not the table.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

import django_filters as filters
from django import forms
from django.db.models import CharField, Q, QuerySet, Value
from django.db.models.functions import Concat, Lower
from django.utils import timezone

from audit.models import AuthEvent, ChangeLogEntry, EventType, SubEventType
from console.models import CustomProperty
from identity.claims import ClaimsError, split_principal
from identity.models import Protocol, Role, User

DATE = forms.DateInput(attrs={"type": "date"})
ANY_YES_NO = forms.Select(choices=[("", "Any"), ("true", "Yes"), ("false", "No")])


def _start_of(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _iexact(queryset: QuerySet, field: str, value: str) -> QuerySet:
    """Filter `field` equal to `value` ignoring case, through lower() (the indexed form)."""
    alias = f"{field}_lower"
    return queryset.alias(**{alias: Lower(field)}).filter(**{alias: value.strip().lower()})


class PropertyFilterSet(filters.FilterSet):
    q = filters.CharFilter(method="search", label="Search")

    class Meta:
        model = CustomProperty
        fields: list[str] = []

    def search(self, queryset, name, value):
        return queryset.filter(Q(key__icontains=value) | Q(value__icontains=value))


class UserFilterSet(filters.FilterSet):
    q = filters.CharFilter(
        method="search", label="Search",
        help_text="Username, domain, email or full name",
    )
    domain = filters.CharFilter(method="filter_domain", label="Domain")
    is_active = filters.BooleanFilter(label="Active", widget=ANY_YES_NO)
    auto_provisioned = filters.BooleanFilter(label="Auto-provisioned", widget=ANY_YES_NO)
    role = filters.ModelChoiceFilter(
        field_name="roles", queryset=Role.objects.order_by("name"), label="Role",
        empty_label="Any",
    )
    idp = filters.CharFilter(field_name="provisioned_idp", lookup_expr="icontains", label="IdP")
    joined_after = filters.DateFilter(
        field_name="date_joined", method="filter_joined_after", label="Joined since", widget=DATE
    )
    joined_before = filters.DateFilter(
        field_name="date_joined", method="filter_joined_before", label="Joined until",
        widget=DATE,
    )

    class Meta:
        model = User
        fields: list[str] = []

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        # One lower-cased text per row searched once: four ILIKEs cost three times as
        # much on a hundred thousand users (see docs/console.md, Performance).
        query = Q(search_text__contains=value.lower())
        try:  # a whole principal (john.doe@contoso.com, CONTOSO\john) finds that person
            username, domain = split_principal(value)
        except ClaimsError:
            pass
        else:
            query |= Q(pk__in=User.objects.principal(username, domain).values("pk"))
        return queryset.alias(
            search_text=Lower(
                Concat("username", Value(" "), "domain", Value(" "), "email", Value(" "),
                       "full_name", output_field=CharField())
            )
        ).filter(query)

    def filter_domain(self, queryset, name, value):
        return _iexact(queryset, "domain", value)

    def filter_joined_after(self, queryset, name, value):
        return queryset.filter(date_joined__gte=_start_of(value))

    def filter_joined_before(self, queryset, name, value):
        return queryset.filter(date_joined__lt=_start_of(value + timedelta(days=1)))


class RoleFilterSet(filters.FilterSet):
    q = filters.CharFilter(method="search", label="Search")

    class Meta:
        model = Role
        fields: list[str] = []

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(name__icontains=value) | Q(display_name__icontains=value)
            | Q(description__icontains=value)
        )


class AuthEventFilterSet(filters.FilterSet):
    """The Authentication Log Query's filters, plus IdP, protocol and a 'refused' view."""

    domain = filters.CharFilter(method="filter_domain", label="Domain")
    user = filters.CharFilter(
        method="filter_user", label="User",
        help_text="A username, or user@domain / DOMAIN\\user",
    )
    event_type = filters.ChoiceFilter(choices=EventType.choices, label="Event type",
                                      empty_label="Any")
    sub_event = filters.ChoiceFilter(choices=SubEventType.choices, label="Sub-event type",
                                     empty_label="Any")
    since = filters.DateFilter(method="filter_since", label="Date since", widget=DATE)
    to = filters.DateFilter(method="filter_to", label="Date to", widget=DATE)
    idp = filters.CharFilter(field_name="idp", label="IdP")
    protocol = filters.ChoiceFilter(choices=Protocol.choices, label="Protocol", empty_label="Any")

    class Meta:
        model = AuthEvent
        fields: list[str] = []

    def filter_domain(self, queryset, name, value):
        return _iexact(queryset, "domain", value)

    def filter_user(self, queryset, name, value):
        value = value.strip()
        try:
            username, domain = split_principal(value)
        except ClaimsError:
            return _iexact(queryset, "username", value)
        return _iexact(_iexact(queryset, "username", username), "domain", domain)

    def filter_since(self, queryset, name, value):
        return queryset.filter(created_at__gte=_start_of(value))

    def filter_to(self, queryset, name, value):
        # "Date to" includes the whole of that day.
        return queryset.filter(created_at__lt=_start_of(value + timedelta(days=1)))


class ChangeLogEntryFilterSet(filters.FilterSet):
    actor = filters.CharFilter(field_name="actor_name", lookup_expr="icontains", label="Who")
    object_type = filters.ChoiceFilter(
        choices=[("property", "Property"), ("user", "User"), ("role", "Role")],
        label="Object", empty_label="Any",
    )
    q = filters.CharFilter(field_name="object_repr", lookup_expr="icontains", label="Name")
    since = filters.DateFilter(method="filter_since", label="Date since", widget=DATE)

    class Meta:
        model = ChangeLogEntry
        fields: list[str] = []

    def filter_since(self, queryset, name, value):
        return queryset.filter(created_at__gte=_start_of(value))
