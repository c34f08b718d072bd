"""Tables of the console's list pages (django-tables2), all drawn by one template."""

from __future__ import annotations

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from audit.models import AuthEvent, ChangeLogEntry, EventType
from console.models import CustomProperty
from console.properties import KNOWN_PROPERTIES
from identity.models import Role, User


class ConsoleTable(tables.Table):
    # Columns whose cells may wrap (long free text); the others stay on one line.
    wrap_columns: tuple[str, ...] = ()

    class Meta:
        abstract = True
        template_name = "console/_table.html"
        attrs = {"class": "list"}


def _yes_no(value: bool, yes: str = "Yes", no: str = "No", bad_when_false: bool = False):
    if value:
        return format_html('<span class="badge ok">{}</span>', yes)
    return format_html('<span class="badge{}">{}</span>', " bad" if bad_when_false else "", no)


class PropertyTable(ConsoleTable):
    key = tables.Column(
        verbose_name="Name",
        linkify=lambda record: reverse("console:property_edit", args=[record.key]),
    )
    value = tables.Column(verbose_name="Value")
    updated_at = tables.DateTimeColumn(verbose_name="Changed", format="Y-m-d H:i")
    delete = tables.Column(
        empty_values=(), orderable=False, verbose_name="",
        linkify=lambda record: reverse("console:property_delete", args=[record.key]),
    )
    wrap_columns = ("value",)

    class Meta(ConsoleTable.Meta):
        model = CustomProperty
        fields = ["key", "value", "updated_at"]
        empty_text = "No properties are stored; the known ones use their defaults."

    def render_key(self, value):
        if value.lower() in KNOWN_PROPERTIES:
            return format_html('{} <span class="badge">known</span>', value)
        return value

    def render_value(self, value):
        return value if len(value) <= 120 else f"{value[:120]}…"

    def render_delete(self):
        return "Delete"


class UserTable(ConsoleTable):
    username = tables.Column(
        linkify=lambda record: reverse("console:user_detail", args=[record.pk])
    )
    domain = tables.Column()
    email = tables.Column()
    full_name = tables.Column(verbose_name="Full name")
    roles = tables.Column(empty_values=(), orderable=False)
    is_active = tables.BooleanColumn(verbose_name="Active")
    auto_provisioned = tables.Column(verbose_name="Auto-provisioned")
    date_joined = tables.DateTimeColumn(verbose_name="Joined", format="Y-m-d H:i")

    class Meta(ConsoleTable.Meta):
        model = User
        fields = [
            "username", "domain", "email", "full_name", "roles", "is_active",
            "auto_provisioned", "date_joined",
        ]
        empty_text = "No users match."

    def render_roles(self, record):
        return format_html_join(", ", "{}", ((role.name,) for role in record.roles.all())) or "—"

    def render_is_active(self, value):
        return _yes_no(value, "Active", "Inactive", bad_when_false=True)

    def render_auto_provisioned(self, record):
        if not record.auto_provisioned:
            return "—"
        return format_html('<span class="badge">{}</span>', record.provisioned_idp or "yes")


class RoleTable(ConsoleTable):
    name = tables.Column(linkify=lambda record: reverse("console:role_edit", args=[record.pk]))
    display_name = tables.Column(verbose_name="Display name")
    description = tables.Column()
    members = tables.Column(
        verbose_name="Members",
        linkify=lambda record: f"{reverse('console:user_list')}?role={record.pk}",
    )
    delete = tables.Column(
        empty_values=(), orderable=False, verbose_name="",
        linkify=lambda record: reverse("console:role_delete", args=[record.pk]),
    )

    wrap_columns = ("description",)

    class Meta(ConsoleTable.Meta):
        model = Role
        fields = ["name", "display_name", "description", "members"]
        empty_text = "No roles yet."

    def render_delete(self):
        return "Delete"


class AuthEventTable(ConsoleTable):
    # Only the date is sortable: sorting a million rows by anything else reads them all.
    created_at = tables.DateTimeColumn(
        verbose_name="When", format="Y-m-d H:i:s", order_by=("created_at", "id"),
        linkify=lambda record: reverse("console:authevent_detail", args=[record.pk]),
    )
    event_type = tables.Column(verbose_name="Event", orderable=False)
    sub_event = tables.Column(verbose_name="Sub-event", orderable=False)
    username = tables.Column(verbose_name="User", orderable=False, empty_values=())
    domain = tables.Column(orderable=False)
    idp = tables.Column(verbose_name="IdP", orderable=False)
    protocol = tables.Column(orderable=False)
    client_ip = tables.Column(verbose_name="Client IP", orderable=False)

    class Meta(ConsoleTable.Meta):
        model = AuthEvent
        fields = [
            "created_at", "event_type", "sub_event", "username", "domain", "idp", "protocol",
            "client_ip",
        ]
        empty_text = "No events match."

    def render_event_type(self, record):
        text = record.get_event_type_display()
        if record.event_type == EventType.FAILED_LOGIN:
            return format_html('<span class="badge bad">{}</span>', text)
        return text

    def render_username(self, record):
        if record.user_id:
            return format_html(
                '<a href="{}">{}</a>', reverse("console:user_detail", args=[record.user_id]),
                record.username,
            )
        return record.username or "—"


class ChangeLogEntryTable(ConsoleTable):
    created_at = tables.DateTimeColumn(verbose_name="When", format="Y-m-d H:i:s",
                                       order_by=("created_at", "id"))
    actor_name = tables.Column(verbose_name="Who", orderable=False)
    action = tables.Column(orderable=False)
    object_type = tables.Column(verbose_name="Object", orderable=False)
    object_repr = tables.Column(verbose_name="Name", orderable=False)
    field = tables.Column(orderable=False)
    old_value = tables.Column(verbose_name="Old value", orderable=False)
    new_value = tables.Column(verbose_name="New value", orderable=False)

    class Meta(ConsoleTable.Meta):
        model = ChangeLogEntry
        fields = [
            "created_at", "actor_name", "action", "object_type", "object_repr", "field",
            "old_value", "new_value",
        ]
        empty_text = "No changes recorded."
