import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command

from identity.models import Role, User
from portal.demo import ROLES, WORK_ITEMS
from portal.models import WorkItem
from tests.factories import RoleFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_roles_and_work_and_is_safe_to_run_again(capsys):
    call_command("seed_demo")
    call_command("seed_demo")

    assert Role.objects.count() == len(ROLES)
    assert WorkItem.objects.count() == len(WORK_ITEMS)
    assert "0 roles and 0 work items created" in capsys.readouterr().out


def test_seed_demo_makes_a_console_admin_who_signs_in_with_a_password():
    call_command("seed_demo", admin="admin@demo.local", admin_password="s3cret-demo-pass")
    call_command("seed_demo", admin="admin@demo.local", admin_password="changed-demo-pass")

    admin = User.objects.principal("admin", "demo.local").get()
    assert admin.is_staff and admin.is_superuser
    assert authenticate(username="admin@demo.local", password="changed-demo-pass") == admin


def test_seed_demo_refuses_an_admin_without_a_password(monkeypatch):
    monkeypatch.delenv("DEMO_ADMIN_PASSWORD", raising=False)
    with pytest.raises(CommandError, match="password"):
        call_command("seed_demo", admin="admin@demo.local")


def test_workitems_create_for_a_role_and_for_a_person(capsys):
    RoleFactory(name="Approver")
    UserFactory(username="john.doe", domain="contoso.com")

    call_command("workitems", "create", "--title", "Approve PO-7", "--role", "approver",
                 "--due", "2026-12-31")
    call_command("workitems", "create", "--title", "Sign contract", "--user",
                 "John.Doe@Contoso.com")
    call_command("workitems", "list")

    listing = capsys.readouterr().out
    assert "2026-12-31\tApprover\tApprove PO-7" in listing
    assert "john.doe@contoso.com\tSign contract" in listing


def test_workitems_create_names_a_missing_role():
    with pytest.raises(CommandError, match="No role named 'Nobody'"):
        call_command("workitems", "create", "--title", "x", "--role", "Nobody")
