"""The change log page: every console change, filterable, read-only."""

import pytest
from django.urls import reverse

from console.services import set_property
from tests.factories import RoleFactory

pytestmark = pytest.mark.django_db

LIST = reverse("console:changelogentry_list")


def test_the_change_log_lists_who_changed_what_newest_first(staff_client, admin_user):
    staff_client.post(reverse("console:property_edit", args=["AutoProvisionUsers"]),
                      {"value": "on"})
    staff_client.post(reverse("console:role_add"), {"name": "Approver"})

    response = staff_client.get(LIST)

    rows = [(r.record.actor_name, r.record.object_type, r.record.object_repr)
            for r in response.context["table"].page.object_list]
    assert rows == [(str(admin_user), "role", "Approver"),
                    (str(admin_user), "property", "AutoProvisionUsers")]


def test_the_change_log_filters_by_object_and_who(staff_client):
    set_property(key="SupportEmail", value="a@b.c", actor_name="manage.py properties")
    RoleFactory(name="Clerk")
    staff_client.post(reverse("console:role_add"), {"name": "Approver"})

    by_type = staff_client.get(LIST, {"object_type": "property"})
    by_actor = staff_client.get(LIST, {"actor": "manage.py"})

    assert [r.record.object_repr for r in by_type.context["table"].page.object_list] == [
        "SupportEmail"
    ]
    assert [r.record.object_repr for r in by_actor.context["table"].page.object_list] == [
        "SupportEmail"
    ]


def test_the_change_log_cannot_be_changed_from_the_page(staff_client):
    assert staff_client.post(LIST).status_code == 405
