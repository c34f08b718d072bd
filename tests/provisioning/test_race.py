"""Concurrent first sign-ins of one person create exactly one account (PostgreSQL)."""

import threading

import pytest
from django.db import connection

from audit.models import AuthEvent, SubEventType
from identity.claims import Identity
from identity.models import User
from provisioning.services import Decision, provision_user

SIGN_INS = 12


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_first_sign_ins_create_exactly_one_user(jit_on):
    barrier = threading.Barrier(SIGN_INS)
    outcomes, errors = [], []

    def sign_in(index: int) -> None:
        # Each thread has its own database connection, as each request would.
        identity = Identity(
            username="Race.Person" if index % 2 else "race.person",
            domain="Contoso.com" if index % 3 else "contoso.COM",
            email="race.person@contoso.com",
            idp="https://idp.example",
            protocol="saml2",
        )
        try:
            barrier.wait(timeout=10)
            outcomes.append(provision_user(identity=identity))
        except Exception as exc:  # any error is a failure of the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sign_in, args=(i,)) for i in range(SIGN_INS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert len(outcomes) == SIGN_INS
    assert User.objects.count() == 1
    user = User.objects.get()
    assert {outcome.user.pk for outcome in outcomes} == {user.pk}
    assert sum(o.decision is Decision.CREATE for o in outcomes) == 1
    assert sum(o.decision is Decision.SIGN_IN for o in outcomes) == SIGN_INS - 1
    assert AuthEvent.objects.filter(sub_event=SubEventType.AUTO_PROVISIONED).count() == 1
    assert AuthEvent.objects.filter(sub_event=SubEventType.SUCCESSFUL_LOGIN).count() == SIGN_INS - 1
