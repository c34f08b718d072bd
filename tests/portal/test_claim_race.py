"""Colleagues claiming the same role item at the same moment: exactly one gets it (PostgreSQL)."""

import threading

import pytest
from django.db import connection

from portal.models import WorkItem, WorkItemStatus
from portal.services import WorkItemError, claim_work_item, create_work_item
from tests.factories import RoleFactory, UserFactory

COLLEAGUES = 8


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_of_one_role_item_give_it_to_exactly_one_colleague():
    approver = RoleFactory(name="Approver")
    colleagues = [UserFactory(username=f"approver{n}", roles=[approver]) for n in range(COLLEAGUES)]
    item = create_work_item(title="Approve PO-1042", role=approver)
    barrier = threading.Barrier(COLLEAGUES)
    claimed, refused, errors = [], [], []

    def claim(user) -> None:
        # Each thread has its own database connection, as each request would.
        try:
            barrier.wait(timeout=10)
            claimed.append(claim_work_item(item_id=item.pk, user=user).claimed_by_id)
        except WorkItemError as exc:
            refused.append(str(exc))
        except Exception as exc:  # any other error is a failure of the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(user,)) for user in colleagues]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert len(claimed) == 1
    assert len(refused) == COLLEAGUES - 1
    item.refresh_from_db()
    assert item.status == WorkItemStatus.CLAIMED
    assert item.claimed_by_id == claimed[0]
    assert all("already been claimed by" in message for message in refused)
    assert WorkItem.objects.filter(status=WorkItemStatus.CLAIMED).count() == 1
