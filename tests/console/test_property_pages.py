"""Custom Properties in the console: validation, the unknown-role warning, the change log."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from audit.models import ChangeLogEntry
from console.properties import get_raw, get_value, jit_settings
from console.services import set_property
from tests.factories import RoleFactory

pytestmark = pytest.mark.django_db

LIST = reverse("console:property_list")


def edit_url(key):
    return reverse("console:property_edit", args=[key])


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_switching_auto_provision_on_saves_true_and_logs_who_changed_it(staff_client, admin_user):
    response = staff_client.post(edit_url("AutoProvisionUsers"), {"value": "on"})

    assert response.status_code == 302
    assert jit_settings().auto_provision is True
    entry = ChangeLogEntry.objects.get()
    assert (entry.actor, entry.object_repr, entry.action) == (admin_user, "AutoProvisionUsers",
                                                              "create")
    assert (entry.old_value, entry.new_value) == ("", "true")


def test_switching_auto_provision_off_sends_no_value_and_saves_false(staff_client):
    set_property(key="AutoProvisionUsers", value="true", actor_name="test")

    staff_client.post(edit_url("AutoProvisionUsers"), {})

    assert get_value("AutoProvisionUsers") == "false"
    entry = ChangeLogEntry.objects.order_by("-id").first()
    assert (entry.old_value, entry.new_value) == ("true", "false")


def test_a_non_boolean_auto_provision_value_is_refused_with_a_message_and_nothing_saved(
    staff_client,
):
    response = staff_client.post(
        reverse("console:property_add"), {"key": "autoprovisionusers", "value": "yes"}
    )

    assert response.status_code == 200
    assert "AutoProvisionUsers must be true or false, not &#x27;yes&#x27;." in response.text
    assert get_raw("AutoProvisionUsers") is None
    assert not ChangeLogEntry.objects.exists()


def test_a_role_list_with_a_control_character_is_refused(staff_client):
    response = staff_client.post(
        edit_url("RolesForAutoProvisionedUsers"), {"value": "Approver,Bad\x01Role"}
    )

    assert response.status_code == 200
    assert "is not a role name" in response.text
    assert get_raw("RolesForAutoProvisionedUsers") is None


def test_unknown_role_names_are_saved_with_a_warning_naming_them(staff_client):
    RoleFactory(name="Approver")

    response = staff_client.post(
        edit_url("RolesForAutoProvisionedUsers"), {"value": " approver , Ghost,Phantom "}
    )

    assert response.status_code == 302
    assert get_value("RolesForAutoProvisionedUsers") == "approver,Ghost,Phantom"
    warning = [m for m in messages_of(response) if "No role is named" in m]
    assert warning == [
        "No role is named Ghost, Phantom: only existing roles are granted, so these are "
        "skipped until you create them."
    ]


def test_existing_role_names_give_no_warning(staff_client):
    RoleFactory(name="Approver")

    response = staff_client.post(edit_url("RolesForAutoProvisionedUsers"), {"value": "Approver"})

    assert not [m for m in messages_of(response) if "No role is named" in m]


def test_the_list_page_shows_the_switch_its_meaning_and_the_unknown_roles(staff_client):
    set_property(key="RolesForAutoProvisionedUsers", value="Ghost", actor_name="test")

    response = staff_client.get(LIST)

    assert response.status_code == 200
    assert 'class="switch"' in response.text
    assert "gets one created on the spot" in response.text
    assert "No role is named Ghost" in response.text
    assert "RolesForAutoProvisionedUsers" in response.text
    assert '<td class="wrap">Ghost</td>' in response.text  # long values may wrap


def test_a_custom_property_can_be_added_edited_and_deleted_each_change_logged(staff_client):
    staff_client.post(reverse("console:property_add"), {"key": "SupportEmail", "value": "a@b.c"})
    staff_client.post(edit_url("SupportEmail"), {"value": "help@b.c"})
    response = staff_client.post(reverse("console:property_delete", args=["SupportEmail"]))

    assert response.status_code == 302
    assert get_raw("SupportEmail") is None
    log = list(ChangeLogEntry.objects.order_by("id").values_list("action", "old_value",
                                                                  "new_value"))
    assert log == [("create", "", "a@b.c"), ("update", "a@b.c", "help@b.c"),
                   ("delete", "help@b.c", "")]


def test_adding_a_property_that_exists_asks_to_edit_it(staff_client):
    set_property(key="SupportEmail", value="x", actor_name="test")

    response = staff_client.post(
        reverse("console:property_add"), {"key": "supportemail", "value": "y"}
    )

    assert response.status_code == 200
    assert "This property exists already" in response.text
    assert get_raw("SupportEmail") == "x"


def test_a_property_name_that_is_not_a_name_is_refused(staff_client):
    response = staff_client.post(reverse("console:property_add"), {"key": "1 bad", "value": "x"})

    assert response.status_code == 200
    assert "A property name starts with a letter" in response.text
    assert not ChangeLogEntry.objects.exists()


def test_editing_a_property_that_does_not_exist_is_404(staff_client):
    assert staff_client.get(edit_url("NoSuchThing")).status_code == 404


def test_deleting_a_known_property_reverts_it_to_its_default(staff_client):
    set_property(key="AutoProvisionUsers", value="true", actor_name="test")

    staff_client.post(reverse("console:property_delete", args=["AutoProvisionUsers"]))

    assert jit_settings().auto_provision is False


def test_the_command_line_warns_about_unknown_roles_like_the_console():
    from io import StringIO

    from django.core.management import call_command

    RoleFactory(name="Approver")
    out, err = StringIO(), StringIO()

    call_command("properties", "set", "RolesForAutoProvisionedUsers", "Approver,Ghost",
                 stdout=out, stderr=err)

    assert out.getvalue().strip() == "RolesForAutoProvisionedUsers=Approver,Ghost"
    assert "no role is named Ghost" in err.getvalue()
