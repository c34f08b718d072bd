"""`python manage.py seed_demo [--admin user@domain --admin-password PASSWORD]`.

Creates the demo's roles and work items (when missing) and, when asked, a console
admin who signs in with a password. Safe to run again.
"""

import os

from django.core.management.base import BaseCommand, CommandError

from portal.demo import ensure_console_admin, seed_demo


class Command(BaseCommand):
    help = "Create the demo's roles and work items, and optionally a console admin."

    def add_arguments(self, parser):
        parser.add_argument("--admin", help="Console admin to create, as user@domain.")
        parser.add_argument(
            "--admin-password",
            help="Its password (default: the DEMO_ADMIN_PASSWORD environment variable).",
        )

    def handle(self, *args, admin=None, admin_password=None, **options):
        created = seed_demo()
        self.stdout.write(
            f"Demo data: {created['roles']} roles and {created['work_items']} work items created."
        )
        if admin:
            password = admin_password or os.environ.get("DEMO_ADMIN_PASSWORD", "")
            if "@" not in admin or not password:
                raise CommandError("--admin needs user@domain and a password.")
            ensure_console_admin(principal=admin, password=password)
            self.stdout.write(f"Console admin {admin} is ready.")
