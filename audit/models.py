"""The authentication log and the console's change log. Both are append-only."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower


class AppendOnlyError(Exception):
    """An audit record was about to be changed or deleted."""


class AppendOnlyQuerySet(models.QuerySet):
    # An audit trail that can be edited is no trail: no bulk path either.
    def update(self, **kwargs):
        raise AppendOnlyError(f"{self.model.__name__} rows cannot be updated")

    def delete(self):
        raise AppendOnlyError(f"{self.model.__name__} rows cannot be deleted")


class AppendOnlyModel(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError(f"{type(self).__name__} rows cannot be updated")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(f"{type(self).__name__} rows cannot be deleted")


class EventType(models.TextChoices):
    LOGIN = "login", "Login"
    LOGOFF = "logoff", "Logoff"
    FAILED_LOGIN = "failed_login", "Failed Login"


class SubEventType(models.TextChoices):
    SUCCESSFUL_LOGIN = "successful_login", "Successful login"
    AUTO_PROVISIONED = "auto_provisioned", "Auto-provisioned user"
    USER_NOT_FOUND = "user_not_found", "User not found"
    USER_NOT_ENABLED = "user_not_enabled", "User not enabled"
    INVALID_RESPONSE = "invalid_response", "Invalid response"
    LOGOFF = "logoff", "Logoff"


class AuthEvent(AppendOnlyModel):
    created_at = models.DateTimeField(auto_now_add=True)
    event_type = models.CharField(max_length=20, choices=EventType.choices)
    sub_event = models.CharField(max_length=30, choices=SubEventType.choices)
    username = models.CharField(max_length=150, blank=True)
    domain = models.CharField(max_length=255, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,  # the trail outlives an account
        related_name="auth_events",
        db_constraint=True,
    )
    idp = models.CharField(max_length=500, blank=True)
    protocol = models.CharField(max_length=10, blank=True)
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=500, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="audit_event_created_idx"),
            models.Index(Lower("domain"), "created_at", name="audit_event_domain_idx"),
            models.Index(Lower("username"), "created_at", name="audit_event_username_idx"),
            models.Index(fields=["user", "created_at"], name="audit_event_user_idx"),
            models.Index(fields=["event_type", "created_at"], name="audit_event_type_idx"),
            models.Index(fields=["sub_event", "created_at"], name="audit_event_sub_idx"),
        ]

    def __str__(self) -> str:
        who = f"{self.username}@{self.domain}" if self.domain else self.username or "unknown"
        return f"{self.get_event_type_display()} / {self.get_sub_event_display()}: {who}"


class ChangeLogEntry(AppendOnlyModel):
    """One change made through the console or the `properties` command."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    # Kept as text too: the command line has no user, and users can be renamed.
    actor_name = models.CharField(max_length=500, blank=True)
    object_type = models.CharField(max_length=50)
    object_id = models.CharField(max_length=100, blank=True)
    object_repr = models.CharField(max_length=500)
    action = models.CharField(max_length=20)
    field = models.CharField(max_length=100, blank=True)
    old_value = models.TextField(blank=True)
    new_value = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_change_obj_idx")]

    def __str__(self) -> str:
        return f"{self.actor_name} {self.action} {self.object_type} {self.object_repr}"
