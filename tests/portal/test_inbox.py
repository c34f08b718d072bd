import datetime

import pytest

from portal.models import WorkItem, WorkItemStatus
from portal.selectors import inbox_for, work_items_for
from portal.services import (
    WorkItemError,
    claim_work_item,
    complete_work_item,
    create_work_item,
)
from tests.factories import RoleFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def approver():
    return RoleFactory(name="Approver")


@pytest.fixture
def alice(approver):
    return UserFactory(username="alice", roles=[approver])


def titles(items):
    return sorted(item.title for item in items)


def test_inbox_shows_only_the_users_and_their_roles_work(alice, approver):
    colleague = UserFactory(username="bob", roles=[approver])
    other_role = RoleFactory(name="Finance")
    create_work_item(title="for alice", user=alice)
    create_work_item(title="for bob", user=colleague)
    create_work_item(title="for approvers", role=approver)
    create_work_item(title="for finance", role=other_role)
    taken_by_bob = create_work_item(title="approvers, taken by bob", role=approver)
    claim_work_item(item_id=taken_by_bob.pk, user=colleague)
    finished = create_work_item(title="approvers, finished", role=approver)
    claim_work_item(item_id=finished.pk, user=alice)
    complete_work_item(item_id=finished.pk, user=alice)

    assert titles(work_items_for(alice)) == ["for alice", "for approvers"]
    assert titles(work_items_for(colleague)) == [
        "approvers, taken by bob",
        "for approvers",
        "for bob",
    ]


def test_a_user_without_roles_sees_only_work_assigned_to_them(approver):
    loner = UserFactory(username="loner")
    create_work_item(title="for approvers", role=approver)
    create_work_item(title="for loner", user=loner)

    assert titles(work_items_for(loner)) == ["for loner"]


def test_claimed_work_moves_from_waiting_to_in_progress(alice, approver):
    item = create_work_item(title="approve PO", role=approver)
    assert titles(inbox_for(alice).waiting) == ["approve PO"]

    claim_work_item(item_id=item.pk, user=alice)

    inbox = inbox_for(alice)
    assert inbox.waiting == []
    assert titles(inbox.in_progress) == ["approve PO"]


def test_a_role_item_is_claimed_once_and_the_second_claimant_is_told_who_has_it(alice, approver):
    colleague = UserFactory(username="bob", full_name="Bob B", roles=[approver])
    item = create_work_item(title="approve PO", role=approver)
    claim_work_item(item_id=item.pk, user=colleague)

    with pytest.raises(WorkItemError, match="already been claimed by bob@contoso.com"):
        claim_work_item(item_id=item.pk, user=alice)

    item.refresh_from_db()
    assert item.claimed_by == colleague


def test_work_of_another_role_cannot_be_claimed(alice):
    item = create_work_item(title="reconcile", role=RoleFactory(name="Finance"))

    with pytest.raises(WorkItemError, match="not assigned to you"):
        claim_work_item(item_id=item.pk, user=alice)
    assert WorkItem.objects.get(pk=item.pk).status == WorkItemStatus.OPEN


def test_a_role_item_must_be_claimed_before_it_is_completed(alice, approver):
    item = create_work_item(title="approve PO", role=approver)

    with pytest.raises(WorkItemError, match="Claim"):
        complete_work_item(item_id=item.pk, user=alice)

    claim_work_item(item_id=item.pk, user=alice)
    done = complete_work_item(item_id=item.pk, user=alice)
    assert done.status == WorkItemStatus.DONE
    assert done.completed_at is not None


def test_a_personal_item_is_completed_directly(alice):
    item = create_work_item(title="sign contract", user=alice)

    assert complete_work_item(item_id=item.pk, user=alice).status == WorkItemStatus.DONE


def test_a_work_item_has_exactly_one_assignee(alice, approver):
    with pytest.raises(ValueError, match="exactly one"):
        create_work_item(title="both", role=approver, user=alice)
    with pytest.raises(ValueError, match="exactly one"):
        create_work_item(title="nobody")


def test_the_database_refuses_a_work_item_for_nobody():
    from django.db import IntegrityError

    with pytest.raises(IntegrityError):
        WorkItem.objects.create(title="nobody")


def test_home_lists_the_inbox_and_the_buttons_act_on_it(client, alice, approver):
    item = create_work_item(
        title="Approve PO-1042", role=approver, due_date=datetime.date(2026, 12, 1)
    )
    create_work_item(title="Reconcile expenses", role=RoleFactory(name="Finance"))
    client.force_login(alice)

    page = client.get("/").content.decode()
    assert "Approve PO-1042" in page
    assert "Reconcile expenses" not in page

    response = client.post(f"/work/{item.pk}/claim/", follow=True)
    assert "is yours now" in response.content.decode()
    response = client.post(f"/work/{item.pk}/complete/", follow=True)
    assert "is done" in response.content.decode()
    assert "Approve PO-1042</strong>" not in response.content.decode()


def test_claiming_someone_elses_item_shows_why_on_home(client, alice):
    item = create_work_item(title="Reconcile", role=RoleFactory(name="Finance"))
    client.force_login(alice)

    response = client.post(f"/work/{item.pk}/claim/", follow=True)

    assert "is not assigned to you or to one of your roles" in response.content.decode()
    assert WorkItem.objects.get(pk=item.pk).status == WorkItemStatus.OPEN
