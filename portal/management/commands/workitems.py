"""`python manage.py workitems create | list`: work items from the command line.

    workitems create --title "Approve PO-7" --role Approver --due 2026-12-31
    workitems create --title "Sign your contract" --user john.doe@contoso.com
    workitems list [--all]
"""

import datetime

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from identity.models import Role, User
from portal.models import WorkItem, WorkItemStatus
from portal.services import create_work_item


class Command(BaseCommand):
    help = "Create or list work items."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create an open work item.")
        create.add_argument("--title", required=True)
        create.add_argument("--description", default="")
        who = create.add_mutually_exclusive_group(required=True)
        who.add_argument("--role", help="Role name: everyone holding it sees the item.")
        who.add_argument("--user", help="One person, as user@domain.")
        create.add_argument("--due", type=datetime.date.fromisoformat, help="YYYY-MM-DD")
        listing = sub.add_parser("list", help="List unfinished work items.")
        listing.add_argument("--all", action="store_true", help="Include finished ones.")

    def handle(self, *args, action: str, **options):
        getattr(self, f"handle_{action}")(**options)

    def handle_create(self, *, title, description, role, user, due, **options):
        assignee = {}
        if role:
            assignee["role"] = Role.objects.named([role]).first()
            if assignee["role"] is None:
                raise CommandError(f"No role named {role!r}.")
        else:
            username, _, domain = user.partition("@")
            assignee["user"] = User.objects.principal(username, domain).first()
            if assignee["user"] is None:
                raise CommandError(f"No user {user!r}.")
        try:
            item = create_work_item(title=title, description=description, due_date=due, **assignee)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(f"Created work item {item.pk}: {item.title} (for {item.assignee})")

    def handle_list(self, *, all: bool, **options):
        items = WorkItem.objects.select_related("assigned_role", "assigned_user", "claimed_by")
        if not all:
            items = items.exclude(status=WorkItemStatus.DONE)
        for item in items:
            due = item.due_date.isoformat() if item.due_date else "-"
            self.stdout.write(
                f"{item.pk}\t{item.get_status_display()}\t{due}\t{item.assignee}\t{item.title}"
            )
