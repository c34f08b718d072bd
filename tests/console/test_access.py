"""Who may open which console page: anonymous, employee, staff, for every console URL."""

import pytest
from django.test import Client
from django.urls import URLPattern, reverse

from audit.models import ChangeLogEntry
from console import urls as console_urls
from console.properties import get_raw
from console.services import set_property
from console.views import StaffRequiredMixin
from identity.models import User
from tests.factories import AuthEventFactory, RoleFactory, UserFactory

PUBLIC = {"login"}


@pytest.fixture
def url_args(db):
    """Arguments that make every console URL resolve to a real object."""
    user = UserFactory(username="target")
    role = RoleFactory(name="Approver")
    event = AuthEventFactory()
    set_property(key="AutoProvisionUsers", value="false", actor_name="test")
    return {
        "user": [user.pk],
        "role": [role.pk],
        "authevent": [event.pk],
        "property": ["AutoProvisionUsers"],
    }


def console_urls_with_args(url_args) -> list[tuple[str, str]]:
    result = []
    for pattern in console_urls.urlpatterns:
        assert isinstance(pattern, URLPattern)
        args = url_args.get(pattern.name.split("_")[0], []) if pattern.pattern.converters else []
        result.append((pattern.name, reverse(f"console:{pattern.name}", args=args)))
    return result


def test_every_console_view_but_login_uses_the_staff_mixin():
    for pattern in console_urls.urlpatterns:
        if pattern.name in PUBLIC:
            continue
        assert issubclass(pattern.callback.view_class, StaffRequiredMixin), pattern.name


def test_anonymous_visitors_are_sent_to_the_console_login(client, url_args):
    for name, url in console_urls_with_args(url_args):
        response = client.get(url)
        if name in PUBLIC:
            assert response.status_code == 200, name
            continue
        assert response.status_code == 302, name
        assert response["Location"].startswith(f"{reverse('console:login')}?next="), name


def test_signed_in_employees_get_403_on_every_console_page(employee_client, url_args):
    changes = ChangeLogEntry.objects.count()
    for name, url in console_urls_with_args(url_args):
        if name in PUBLIC:
            continue
        assert employee_client.get(url).status_code == 403, name
        assert employee_client.post(url, {"value": "true"}).status_code == 403, name
    assert ChangeLogEntry.objects.count() == changes
    assert User.objects.get(username="target").is_active
    assert get_raw("AutoProvisionUsers") == "false"


def test_staff_can_open_every_console_page(staff_client, url_args):
    for name, url in console_urls_with_args(url_args):
        response = staff_client.get(url)
        assert response.status_code == 200, (name, url)


def test_the_403_page_says_access_is_not_allowed(employee_client):
    response = employee_client.get(reverse("console:home"))
    assert response.status_code == 403
    assert b"You do not have access to this page" in response.content


def test_a_post_without_csrf_token_is_refused(admin_user, db):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    url = reverse("console:property_edit", args=["AutoProvisionUsers"])
    response = client.post(url, {"value": "on"})
    assert response.status_code == 403
    assert not ChangeLogEntry.objects.exists()


def test_anonymous_posts_change_nothing(client, url_args):
    changes = ChangeLogEntry.objects.count()
    for name, url in console_urls_with_args(url_args):
        if name in PUBLIC:
            continue
        response = client.post(url, {"value": "true", "name": "Intruder"})
        assert response.status_code in (302, 405), name
    assert ChangeLogEntry.objects.count() == changes
    assert get_raw("AutoProvisionUsers") == "false"
