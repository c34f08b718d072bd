"""The authentication log is append-only: no update or delete path."""

import pytest

from audit.models import AppendOnlyError, AuthEvent, ChangeLogEntry
from audit.services import record_auth_event, record_change
from tests.factories import AuthEventFactory, StaffUserFactory

pytestmark = pytest.mark.django_db


def test_an_event_cannot_be_updated():
    event = AuthEventFactory()
    event.username = "someone-else"
    with pytest.raises(AppendOnlyError):
        event.save()
    assert AuthEvent.objects.get().username != "someone-else"


def test_an_event_cannot_be_deleted():
    event = AuthEventFactory()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuthEvent.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        AuthEvent.objects.update(username="x")
    assert AuthEvent.objects.count() == 1


def test_change_log_is_append_only_too():
    entry = record_change(actor_name="cli", object_type="property", object_repr="X",
                          action="create")
    with pytest.raises(AppendOnlyError):
        entry.delete()
    assert ChangeLogEntry.objects.count() == 1


def test_client_ip_and_user_agent_come_from_the_request(rf):
    request = rf.get("/", REMOTE_ADDR="203.0.113.9", HTTP_USER_AGENT="Browser/1.0",
                     HTTP_X_FORWARDED_FOR="1.2.3.4")
    event = record_auth_event(event_type="login", sub_event="successful_login", request=request)
    assert event.client_ip == "203.0.113.9"  # X-Forwarded-For is client-written: ignored
    assert event.user_agent == "Browser/1.0"


def test_admin_cannot_change_events(client):
    client.force_login(StaffUserFactory(is_superuser=True))
    event = AuthEventFactory()
    assert client.post(f"/admin/audit/authevent/{event.pk}/delete/",
                             {"post": "yes"}).status_code == 403
    assert AuthEvent.objects.count() == 1
