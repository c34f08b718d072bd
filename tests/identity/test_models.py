"""The database itself keeps (username, domain) unique regardless of case."""

import pytest
from django.db import IntegrityError

from identity.models import Role, User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_database_refuses_the_same_person_in_another_case():
    UserFactory(username="john.doe", domain="contoso.com")
    with pytest.raises(IntegrityError):
        User.objects.create(username="JOHN.DOE", domain="Contoso.Com")


def test_role_names_are_unique_case_insensitively():
    Role.objects.create(name="Approver")
    with pytest.raises(IntegrityError):
        Role.objects.create(name="APPROVER")


def test_break_glass_admin_signs_in_with_user_at_domain(client):
    User.objects.create_superuser("admin", "local", "admin@example.com", "a-long-pass-phrase")
    assert client.login(username="Admin@LOCAL", password="a-long-pass-phrase")


def test_break_glass_admin_accepts_domain_backslash_user(client):
    User.objects.create_superuser("admin", "LOCAL", "", "a-long-pass-phrase")
    assert client.login(username="local\\admin", password="a-long-pass-phrase")


def test_employees_cannot_sign_in_with_a_password(client):
    UserFactory(username="jdoe", domain="contoso.com")
    assert not client.login(username="jdoe@contoso.com", password="")
