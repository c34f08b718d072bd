"""factory_boy factories: the one place tests make rows."""

import factory

from audit.models import AuthEvent, EventType, SubEventType
from identity.models import Role, User


class RoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Role

    name = factory.Sequence(lambda n: f"Role{n}")
    display_name = factory.LazyAttribute(lambda o: o.name)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    domain = "contoso.com"
    email = factory.LazyAttribute(lambda o: f"{o.username}@{o.domain}")
    full_name = factory.Faker("name")
    is_active = True
    password = factory.django.Password(None)

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if create and extracted:
            self.roles.add(*extracted)


class StaffUserFactory(UserFactory):
    is_staff = True


class AuthEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AuthEvent

    event_type = EventType.LOGIN
    sub_event = SubEventType.SUCCESSFUL_LOGIN
    username = factory.Sequence(lambda n: f"user{n}")
    domain = "contoso.com"
    protocol = "saml2"
