from django.contrib import admin

from audit.models import AuthEvent, ChangeLogEntry


class ReadOnlyAdmin(admin.ModelAdmin):
    """The audit trail is append-only: the admin may read it, never change it."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuthEvent)
class AuthEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "event_type", "sub_event", "username", "domain", "idp"]
    list_filter = ["event_type", "sub_event", "protocol"]


@admin.register(ChangeLogEntry)
class ChangeLogEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "actor_name", "action", "object_type", "object_repr", "field"]
