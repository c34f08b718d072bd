import pytest

from tests.factories import StaffUserFactory, UserFactory


@pytest.fixture
def admin_user(db):
    return StaffUserFactory(username="admin", domain="contoso.com")


@pytest.fixture
def staff_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def employee_client(client, db):
    client.force_login(UserFactory(username="employee", domain="contoso.com"))
    return client
