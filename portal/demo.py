"""The demo's data: roles and the work waiting for them.

Used by `manage.py seed_demo` (and so by scripts/demo.sh and docker-compose.yml).
Kept as data so the README walkthrough and the browser test agree on what a
newly provisioned person should find in their inbox.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from identity.models import Role, User
from portal.models import WorkItem
from portal.services import create_work_item

ROLES = [
    ("Employee", "Employee", "Everyone who works here."),
    ("Approver", "Approver", "Approves purchases and leave."),
    ("Finance", "Finance", "Keeps the books."),
]

# (role, title, description, due in days)
WORK_ITEMS = [
    ("Employee", "Complete your security awareness training",
     "A 20-minute course every employee takes in their first week.", 7),
    ("Employee", "Confirm your emergency contact",
     "Tell us who to call if something happens to you at work.", 14),
    ("Approver", "Approve purchase order PO-1042",
     "Two laptops for the new starters in Support.", 3),
    ("Approver", "Review leave request from Dana Scully", "Five days in December.", 5),
    ("Finance", "Reconcile November card expenses",
     "Match the card statement with the receipts.", 10),
]


@transaction.atomic
def seed_demo(*, today: datetime.date | None = None) -> dict[str, int]:
    """Create the demo's roles and work items when missing. Safe to run again.

    Return how many roles and work items were created.
    """
    today = today or timezone.localdate()
    created = {"roles": 0, "work_items": 0}
    roles: dict[str, Role] = {}
    for name, display_name, description in ROLES:
        role = Role.objects.named([name]).first()
        if role is None:
            role = Role.objects.create(
                name=name, display_name=display_name, description=description
            )
            created["roles"] += 1
        roles[name] = role
    for role_name, title, description, due_in in WORK_ITEMS:
        if WorkItem.objects.filter(title=title, assigned_role=roles[role_name]).exists():
            continue
        create_work_item(
            title=title,
            description=description,
            role=roles[role_name],
            due_date=today + datetime.timedelta(days=due_in),
        )
        created["work_items"] += 1
    return created


@transaction.atomic
def ensure_console_admin(*, principal: str, password: str) -> User:
    """Create (or reset the password of) a console admin who signs in with a password.

    `principal` is `user@domain`. This is the break-glass account of the demo.
    """
    username, _, domain = principal.partition("@")
    user = User.objects.principal(username, domain).first()
    if user is None:
        user = User.objects.create_superuser(
            username, domain, email=principal, password=password, full_name="Demo administrator"
        )
    else:
        user.is_staff = user.is_superuser = user.is_active = True
        user.set_password(password)
        user.save()
    return user
