"""`python manage.py properties list | get KEY | set KEY VALUE | delete KEY`.

Validates exactly like the console and records every change in the change log.
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from console.models import CustomProperty
from console.properties import (
    KNOWN_PROPERTIES,
    ROLES_FOR_AUTO_PROVISIONED_USERS,
    canonical_key,
    get_raw,
    get_value,
)
from console.selectors import unknown_role_names
from console.services import delete_property, set_property


class Command(BaseCommand):
    help = "List, read or change the environment's Custom Properties."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("list", help="List every property, known ones with their defaults.")
        get = sub.add_parser("get", help="Print one property's value.")
        get.add_argument("key")
        put = sub.add_parser("set", help="Validate and store a property.")
        put.add_argument("key")
        put.add_argument("value")
        delete = sub.add_parser(
            "delete", help="Remove a property (a known one reverts to its default)."
        )
        delete.add_argument("key")

    def handle(self, *args, action: str, **options):
        try:
            getattr(self, f"handle_{action}")(**options)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc

    def handle_list(self, **options):
        stored = {prop.key.lower(): prop for prop in CustomProperty.objects.all()}
        for key_lower, spec in KNOWN_PROPERTIES.items():
            prop = stored.pop(key_lower, None)
            shown = prop.value if prop else f"{spec.default} (default)"
            self.stdout.write(f"{spec.key}={shown}")
        for prop in stored.values():
            self.stdout.write(f"{prop.key}={prop.value}")

    def handle_get(self, *, key: str, **options):
        key = canonical_key(key)
        if get_raw(key) is None and key.lower() not in KNOWN_PROPERTIES:
            raise CommandError(f"{key} is not set.")
        self.stdout.write(get_value(key))

    def handle_set(self, *, key: str, value: str, **options):
        prop = set_property(key=key, value=value, actor_name="manage.py properties")
        self.stdout.write(f"{prop.key}={prop.value}")
        if prop.key == ROLES_FOR_AUTO_PROVISIONED_USERS:
            missing = unknown_role_names(prop.value)
            if missing:
                # The same warning as the console: saved, but only existing roles are granted.
                self.stderr.write(
                    f"Warning: no role is named {', '.join(missing)}; these are skipped "
                    "until you create them."
                )

    def handle_delete(self, *, key: str, **options):
        if not delete_property(key=key, actor_name="manage.py properties"):
            raise CommandError(f"{canonical_key(key)} is not set.")
        self.stdout.write(f"{canonical_key(key)} removed")
