"""SAML sign-in end to end: real signed responses from pysaml2 IdPs, posted to the ACS."""

import pytest

from audit.models import AuthEvent, SubEventType
from identity.models import User
from tests.factories import RoleFactory
from tests.saml_idp import Person, subject_for

pytestmark = pytest.mark.django_db

ADELE = Person("Adele.Vance@contoso.com", "Adele", "Vance")


def test_first_sign_in_with_jit_on_creates_the_user_and_lands_home(saml_sign_in, jit_on, client):
    RoleFactory(name="Employee")
    from console.services import set_property

    set_property(key="RolesForAutoProvisionedUsers", value="Employee,Missing", actor_name="test")

    answer = saml_sign_in(subject_for(ADELE, "entra"))

    assert answer.status_code == 302
    assert answer["Location"] == "/"
    user = User.objects.principal("adele.vance", "contoso.com").get()
    assert (user.username, user.domain, user.email, user.full_name) == (
        "Adele.Vance",
        "contoso.com",
        "Adele.Vance@contoso.com",
        "Adele Vance",
    )
    assert user.auto_provisioned and user.provisioned_protocol == "saml2"
    assert [r.name for r in user.roles.all()] == ["Employee"]
    event = AuthEvent.objects.get()
    assert event.sub_event == SubEventType.AUTO_PROVISIONED
    assert event.idp == "https://idp.contoso.test/"
    assert client.get("/").status_code == 200
    assert int(client.session["_auth_user_id"]) == user.pk
