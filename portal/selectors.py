"""Reads for the Work Portal: the employee's inbox."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from identity.models import User
from portal.models import WorkItem, WorkItemStatus


@dataclass(frozen=True)
class Inbox:
    waiting: list[WorkItem]  # open work the user may claim or complete
    in_progress: list[WorkItem]  # work the user has claimed


def work_items_for(user: User) -> QuerySet[WorkItem]:
    """Return the unfinished work items that are the user's to do.

    That is: items assigned to the user; open items assigned to one of the user's
    roles; and items the user has claimed. A role's item claimed by a colleague is
    theirs now and is not shown. Finished items are never shown.
    """
    mine = Q(assigned_user=user) | Q(claimed_by=user)
    for_my_roles = Q(assigned_role__in=user.roles.all(), status=WorkItemStatus.OPEN)
    return (
        WorkItem.objects.filter(mine | for_my_roles)
        .exclude(status=WorkItemStatus.DONE)
        .select_related("assigned_role", "assigned_user", "claimed_by")
    )


def inbox_for(user: User) -> Inbox:
    """Return the user's inbox: work waiting for them, and work they have in hand."""
    items = list(work_items_for(user))
    return Inbox(
        waiting=[item for item in items if item.status == WorkItemStatus.OPEN],
        in_progress=[item for item in items if item.status == WorkItemStatus.CLAIMED],
    )
