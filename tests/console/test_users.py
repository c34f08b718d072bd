"""User management: search, filters, the user page, edits, activation, roles."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import AuthEvent, ChangeLogEntry, EventType, SubEventType
from identity.models import User
from tests.factories import AuthEventFactory, RoleFactory, UserFactory

pytestmark = pytest.mark.django_db

LIST = reverse("console:user_list")


def usernames(response) -> set[str]:
    return {row.record.username for row in response.context["table"].page.object_list}


@pytest.fixture
def people(admin_user):
    approver = RoleFactory(name="Approver")
    return {
        "jane": UserFactory(username="jane.doe", domain="contoso.com", email="jane@mail.example",
                            full_name="Jane Doe", roles=[approver], auto_provisioned=True,
                            provisioned_idp="https://sts.contoso.com"),
        "john": UserFactory(username="john", domain="FABRIKAM", full_name="John Smith",
                            is_active=False),
        "old": UserFactory(username="old.timer", domain="contoso.com", full_name="Old Timer",
                           date_joined=timezone.now() - timedelta(days=400)),
        "approver": approver,
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("jane", {"jane.doe"}),                 # username
        ("fabrikam", {"john"}),                 # domain, any case
        ("mail.example", {"jane.doe"}),         # email
        ("smith", {"john"}),                    # full name
        ("FABRIKAM\\John", {"john"}),           # a whole DOMAIN\user principal
        ("JANE.DOE@contoso.com", {"jane.doe"}),  # a whole UPN
    ],
)
def test_search_covers_username_domain_email_and_full_name(staff_client, people, query, expected):
    assert usernames(staff_client.get(LIST, {"q": query})) == expected


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"domain": "Contoso.COM"}, {"jane.doe", "old.timer", "admin"}),
        ({"is_active": "false"}, {"john"}),
        ({"auto_provisioned": "true"}, {"jane.doe"}),
        ({"idp": "sts.contoso"}, {"jane.doe"}),
        ({"joined_before": (timezone.now() - timedelta(days=300)).date().isoformat()},
         {"old.timer"}),
        ({"joined_after": (timezone.now() - timedelta(days=1)).date().isoformat()},
         {"jane.doe", "john", "admin"}),
    ],
)
def test_filters_select_exactly_the_matching_users(staff_client, people, params, expected):
    assert usernames(staff_client.get(LIST, params)) == expected


def test_the_role_filter_selects_members(staff_client, people):
    response = staff_client.get(LIST, {"role": people["approver"].pk})
    assert usernames(response) == {"jane.doe"}


def test_the_list_sorts_by_a_column(staff_client, people):
    response = staff_client.get(LIST, {"sort": "username"})
    names = [row.record.username for row in response.context["table"].page.object_list]
    assert names == sorted(names)


def test_the_user_page_tells_how_the_account_came_to_be_and_links_its_event(staff_client, people):
    jane = people["jane"]
    event = AuthEventFactory(
        event_type=EventType.LOGIN, sub_event=SubEventType.AUTO_PROVISIONED, user=jane,
        username="jane.doe", domain="contoso.com", idp="https://sts.contoso.com",
    )
    AuthEventFactory(event_type=EventType.FAILED_LOGIN, sub_event=SubEventType.USER_NOT_FOUND,
                     username="Jane.Doe", domain="CONTOSO.com")

    response = staff_client.get(reverse("console:user_detail", args=[jane.pk]))

    assert "Auto-provisioned at" in response.text
    assert "https://sts.contoso.com" in response.text
    assert reverse("console:authevent_detail", args=[event.pk]) in response.text
    assert [e.sub_event for e in response.context["recent"]] == [
        SubEventType.USER_NOT_FOUND, SubEventType.AUTO_PROVISIONED
    ]


def test_editing_email_and_full_name_logs_old_and_new_values(staff_client, people, admin_user):
    jane = people["jane"]

    response = staff_client.post(
        reverse("console:user_edit", args=[jane.pk]),
        {"email": "jane.doe@contoso.com", "full_name": "Jane Q. Doe"},
    )

    assert response.status_code == 302
    jane.refresh_from_db()
    assert (jane.email, jane.full_name) == ("jane.doe@contoso.com", "Jane Q. Doe")
    log = set(ChangeLogEntry.objects.values_list("actor", "field", "old_value", "new_value"))
    assert log == {
        (admin_user.pk, "email", "jane@mail.example", "jane.doe@contoso.com"),
        (admin_user.pk, "full_name", "Jane Doe", "Jane Q. Doe"),
    }


def test_an_invalid_email_is_refused_and_nothing_changes(staff_client, people):
    jane = people["jane"]

    response = staff_client.post(
        reverse("console:user_edit", args=[jane.pk]), {"email": "not an email", "full_name": "X"}
    )

    assert response.status_code == 200
    jane.refresh_from_db()
    assert jane.full_name == "Jane Doe"
    assert not ChangeLogEntry.objects.exists()


def test_username_and_domain_cannot_be_edited(staff_client, people):
    jane = people["jane"]
    staff_client.post(
        reverse("console:user_edit", args=[jane.pk]),
        {"email": jane.email, "full_name": jane.full_name, "username": "mallory",
         "domain": "evil.example"},
    )
    jane.refresh_from_db()
    assert (jane.username, jane.domain) == ("jane.doe", "contoso.com")


def test_deactivating_keeps_the_account_its_roles_and_its_history(staff_client, people):
    jane = people["jane"]
    AuthEventFactory(user=jane, username="jane.doe")

    response = staff_client.post(reverse("console:user_deactivate", args=[jane.pk]))

    assert response.status_code == 302
    jane.refresh_from_db()
    assert jane.is_active is False
    assert list(jane.roles.values_list("name", flat=True)) == ["Approver"]
    assert AuthEvent.objects.filter(user=jane).count() == 1
    entry = ChangeLogEntry.objects.get()
    assert (entry.action, entry.old_value, entry.new_value) == ("deactivate", "true", "false")


def test_activating_again_is_logged(staff_client, people):
    john = people["john"]
    staff_client.post(reverse("console:user_activate", args=[john.pk]))
    john.refresh_from_db()
    assert john.is_active is True
    assert ChangeLogEntry.objects.get().action == "activate"


def test_the_deactivate_page_asks_first_and_changes_nothing_on_get(staff_client, people):
    jane = people["jane"]
    response = staff_client.get(reverse("console:user_deactivate", args=[jane.pk]))
    assert "Nothing is deleted" in response.text
    jane.refresh_from_db()
    assert jane.is_active is True


def test_an_admin_cannot_deactivate_themselves(staff_client, admin_user):
    response = staff_client.post(reverse("console:user_deactivate", args=[admin_user.pk]),
                                 follow=True)
    admin_user.refresh_from_db()
    assert admin_user.is_active is True
    assert "You cannot deactivate your own account." in response.text


def test_granting_and_removing_roles_logs_each_one(staff_client, people):
    jane = people["jane"]
    clerk = RoleFactory(name="Clerk")

    staff_client.post(reverse("console:user_roles", args=[jane.pk]), {"roles": [clerk.pk]})

    assert list(jane.roles.values_list("name", flat=True)) == ["Clerk"]
    log = set(ChangeLogEntry.objects.values_list("action", "old_value", "new_value"))
    assert log == {("grant_role", "", "Clerk"), ("remove_role", "Approver", "")}


def test_the_users_page_pages_without_counting(staff_client, admin_user):
    User.objects.bulk_create(
        [User(username=f"bulk{i:03}", domain="contoso.com") for i in range(120)]
    )
    with CaptureQueriesContext(connection) as queries:
        response = staff_client.get(LIST, {"page": 3, "q": "bulk"})
    assert len(response.context["table"].page.object_list) == 20
    assert 'rel="next"' not in response.text
    assert not [q for q in queries if "COUNT(" in q["sql"].upper()]


def test_a_search_with_like_wildcards_matches_them_literally(staff_client, people):
    UserFactory(username="under_score", full_name="Percent 100%")
    assert usernames(staff_client.get(LIST, {"q": "r_s"})) == {"under_score"}
    assert usernames(staff_client.get(LIST, {"q": "100%"})) == {"under_score"}
    assert usernames(staff_client.get(LIST, {"q": "%"})) == {"under_score"}
