"""Roles: member counts, create, edit, delete only when empty."""

import pytest
from django.urls import reverse

from audit.models import ChangeLogEntry
from identity.models import Role
from tests.factories import RoleFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_the_list_shows_member_counts(staff_client):
    busy = RoleFactory(name="Approver")
    RoleFactory(name="Idle")
    UserFactory.create_batch(3, roles=[busy])

    response = staff_client.get(reverse("console:role_list"))

    counts = {row.record.name: row.record.members for row in response.context["table"].rows}
    assert counts == {"Approver": 3, "Idle": 0}


def test_creating_a_role_is_logged(staff_client, admin_user):
    response = staff_client.post(
        reverse("console:role_add"), {"name": "Approver", "display_name": "Approvers"}
    )

    assert response.status_code == 302
    assert Role.objects.get().display_name == "Approvers"
    entry = ChangeLogEntry.objects.get()
    assert (entry.actor, entry.action, entry.new_value) == (admin_user, "create", "Approver")


def test_a_name_taken_in_another_case_is_refused_clearly(staff_client):
    RoleFactory(name="Approver")

    response = staff_client.post(reverse("console:role_add"), {"name": "APPROVER"})

    assert response.status_code == 200
    assert "A role named &#x27;APPROVER&#x27; already exists" in response.text
    assert Role.objects.count() == 1


def test_a_name_with_a_comma_is_refused(staff_client):
    response = staff_client.post(reverse("console:role_add"), {"name": "A,B"})
    assert "cannot contain a comma" in response.text
    assert not Role.objects.exists()


def test_editing_logs_each_changed_field(staff_client):
    role = RoleFactory(name="Approver", display_name="Approver", description="")

    staff_client.post(
        reverse("console:role_edit", args=[role.pk]),
        {"name": "Approver", "display_name": "Approvers", "description": "Signs off"},
    )

    changes = set(ChangeLogEntry.objects.values_list("field", "old_value", "new_value"))
    assert changes == {("display_name", "Approver", "Approvers"), ("description", "", "Signs off")}


def test_an_empty_role_can_be_deleted(staff_client):
    role = RoleFactory(name="Idle")

    staff_client.post(reverse("console:role_delete", args=[role.pk]))

    assert not Role.objects.exists()
    assert ChangeLogEntry.objects.get().action == "delete"


def test_a_role_with_members_is_not_deleted_and_the_message_says_why(staff_client):
    role = RoleFactory(name="Approver")
    UserFactory.create_batch(2, roles=[role])

    response = staff_client.post(reverse("console:role_delete", args=[role.pk]), follow=True)

    assert Role.objects.filter(pk=role.pk).exists()
    assert "Approver still has 2 members" in response.text
    assert not ChangeLogEntry.objects.exists()
