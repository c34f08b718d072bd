"""Custom Properties: typed, validated, logged; the `properties` command validates the same."""

from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from audit.models import ChangeLogEntry
from console.models import CustomProperty
from console.properties import jit_settings, parse_role_names
from console.services import delete_property, set_property

pytestmark = pytest.mark.django_db


def test_auto_provision_is_off_by_default():
    assert jit_settings().auto_provision is False
    assert jit_settings().default_roles == ()


@pytest.mark.parametrize("value", ["maybe", "yes", "1", "", "true!"])
def test_invalid_auto_provision_value_is_refused_and_nothing_saved(value):
    with pytest.raises(ValidationError) as error:
        set_property(key="AutoProvisionUsers", value=value)
    assert "AutoProvisionUsers must be true or false" in error.value.messages[0]
    assert CustomProperty.objects.count() == 0
    assert ChangeLogEntry.objects.count() == 0


@pytest.mark.parametrize(("value", "stored"), [("TRUE", "true"), (" False ", "false")])
def test_boolean_values_are_normalised(value, stored):
    assert set_property(key="AutoProvisionUsers", value=value).value == stored


def test_known_keys_are_matched_case_insensitively_and_stored_canonically():
    set_property(key="autoprovisionusers", value="true")
    assert CustomProperty.objects.get().key == "AutoProvisionUsers"
    assert jit_settings().auto_provision is True


@pytest.mark.parametrize(
    ("value", "names"),
    [
        ("Approver,Clerk", ["Approver", "Clerk"]),
        ("  Approver , Clerk  ", ["Approver", "Clerk"]),
        ("Approver,,Clerk,", ["Approver", "Clerk"]),
        ("Approver,approver", ["Approver"]),
        ("", []),
        (" , ,", []),
    ],
)
def test_role_list_ignores_spaces_empty_entries_and_repeats(value, names):
    assert parse_role_names(value) == names
    set_property(key="RolesForAutoProvisionedUsers", value=value)
    assert list(jit_settings().default_roles) == names


def test_role_list_with_control_characters_is_refused():
    with pytest.raises(ValidationError, match="RolesForAutoProvisionedUsers"):
        set_property(key="RolesForAutoProvisionedUsers", value="Approver,Cl\x00erk")
    assert CustomProperty.objects.count() == 0


def test_unknown_keys_are_kept_as_text():
    set_property(key="Theme.Colour", value="blue")
    assert CustomProperty.objects.get().value == "blue"


@pytest.mark.parametrize("key", ["", "1abc", "has space", "x" * 101])
def test_invalid_property_names_are_refused(key):
    with pytest.raises(ValidationError):
        set_property(key=key, value="x")


def test_every_change_is_logged_with_old_and_new_value():
    set_property(key="AutoProvisionUsers", value="true", actor_name="admin@contoso.com")
    set_property(key="AutoProvisionUsers", value="false", actor_name="admin@contoso.com")
    set_property(key="AutoProvisionUsers", value="false", actor_name="admin@contoso.com")  # no-op
    delete_property(key="AutoProvisionUsers", actor_name="admin@contoso.com")

    entries = list(ChangeLogEntry.objects.order_by("id").values_list(
        "action", "object_repr", "old_value", "new_value", "actor_name"))
    assert entries == [
        ("create", "AutoProvisionUsers", "", "true", "admin@contoso.com"),
        ("update", "AutoProvisionUsers", "true", "false", "admin@contoso.com"),
        ("delete", "AutoProvisionUsers", "false", "", "admin@contoso.com"),
    ]


def test_a_stored_value_that_no_longer_validates_reads_as_off():
    CustomProperty.objects.create(key="AutoProvisionUsers", value="maybe")
    assert jit_settings().auto_provision is False


def run(*args) -> str:
    out = StringIO()
    call_command("properties", *args, stdout=out)
    return out.getvalue()


def test_command_lists_known_properties_with_defaults():
    output = run("list")
    assert "AutoProvisionUsers=false (default)" in output
    assert "RolesForAutoProvisionedUsers= (default)" in output


def test_command_sets_gets_and_logs():
    assert run("set", "AutoProvisionUsers", "True").strip() == "AutoProvisionUsers=true"
    assert run("get", "autoprovisionusers").strip() == "true"
    entry = ChangeLogEntry.objects.get()
    assert entry.actor_name == "manage.py properties" and entry.new_value == "true"


def test_command_refuses_invalid_values_like_the_console():
    with pytest.raises(CommandError, match="AutoProvisionUsers must be true or false"):
        run("set", "AutoProvisionUsers", "maybe")
    assert CustomProperty.objects.count() == 0


def test_command_get_of_unset_unknown_key_fails():
    with pytest.raises(CommandError, match="is not set"):
        run("get", "Nope")
