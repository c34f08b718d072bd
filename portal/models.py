"""Work items: the work an employee finds in their inbox.

A work item is assigned either to one person or to a role. Anyone holding the role
may claim it; the claimant (or the assigned person) completes it. This is what makes
a freshly provisioned account "ready for task assignment": its default roles bring
their open work with them.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q


class WorkItemStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLAIMED = "claimed", "In progress"
    DONE = "done", "Done"


class WorkItem(models.Model):
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    assigned_role = models.ForeignKey(
        "identity.Role",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="work_items",
        help_text="Everyone holding this role sees the item until one of them claims it.",
    )
    assigned_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="assigned_work_items",
    )
    status = models.CharField(
        max_length=10, choices=WorkItemStatus.choices, default=WorkItemStatus.OPEN
    )
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="claimed_work_items",
    )
    due_date = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = [models.F("due_date").asc(nulls_last=True), "created_at", "id"]
        constraints = [
            # Exactly one assignee: work for nobody, or for a role and a person at once,
            # would leave the inbox unable to say whose it is.
            models.CheckConstraint(
                condition=(
                    Q(assigned_role__isnull=False, assigned_user__isnull=True)
                    | Q(assigned_role__isnull=True, assigned_user__isnull=False)
                ),
                name="portal_workitem_one_assignee",
            ),
        ]
        indexes = [
            models.Index(fields=["assigned_role", "status"], name="portal_item_role_status_idx"),
            models.Index(fields=["assigned_user", "status"], name="portal_item_user_status_idx"),
            models.Index(fields=["claimed_by", "status"], name="portal_item_claimant_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def assignee(self) -> str:
        """Name the role or the person the item is assigned to."""
        return str(self.assigned_role or self.assigned_user)
