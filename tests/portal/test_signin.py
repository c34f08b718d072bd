"""Signing in: where `/` sends a signed-out visitor, and which `next` pages are kept."""

import pytest
from django.test import RequestFactory

from portal import navigation
from portal.navigation import SignInOption, safe_next
from tests.factories import UserFactory

SAML_IDP = SignInOption(
    label="Contoso (Entra ID)", protocol="saml2", url="/saml2/login/?idp=https%3A%2F%2Fidp"
)
OIDC_OP = SignInOption(label="Fabrikam (OpenID)", protocol="oidc", url="/oidc/authenticate/")


@pytest.mark.parametrize(
    "candidate",
    [
        "https://evil.example/",
        "//evil.example/path",
        "/\\evil.example",
        "\\\\evil.example",
        "http:evil.example",
        "javascript:alert(1)",
        "https://testserver.evil.example/",
        "ftp://testserver/",
        " /\t/evil.example",
    ],
)
def test_next_refuses_off_site_urls(candidate):
    request = RequestFactory().get("/")

    assert safe_next(request, candidate) == "/"


@pytest.mark.parametrize(
    "candidate", ["/work/7/", "/console/auth-log/?domain=contoso.com", "http://testserver/x"]
)
def test_next_keeps_pages_of_this_site(candidate):
    assert safe_next(RequestFactory().get("/"), candidate) == candidate


@pytest.mark.parametrize("candidate", ["", None, "/login/", "/logout/", "/login/?next=/x"])
def test_next_falls_back_to_home_for_nothing_or_the_signin_pages_themselves(candidate):
    assert safe_next(RequestFactory().get("/"), candidate) == "/"


def test_next_over_https_refuses_a_plain_http_url_of_the_same_host():
    request = RequestFactory().get("/", secure=True)

    assert safe_next(request, "http://testserver/x") == "/"


@pytest.fixture
def idps(monkeypatch):
    """Configure which Identity Providers the portal offers."""

    def configure(*options):
        monkeypatch.setattr(navigation, "sign_in_options", lambda: list(options))
        monkeypatch.setattr("portal.views.sign_in_options", lambda: list(options))

    return configure


def test_home_goes_straight_to_the_only_idp(client, idps):
    idps(SAML_IDP)

    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == SAML_IDP.url


def test_home_goes_straight_to_the_only_idp_carrying_a_safe_next(client, idps):
    idps(OIDC_OP)

    response = client.get("/", {"next": "/work/3/"})

    assert response["Location"] == "/oidc/authenticate/?next=%2Fwork%2F3%2F"


def test_home_drops_an_off_site_next_on_its_way_to_the_idp(client, idps):
    idps(OIDC_OP)

    response = client.get("/", {"next": "https://evil.example/"})

    assert response["Location"] == "/oidc/authenticate/"


def test_home_sends_to_the_chooser_when_several_idps_are_configured(client, idps):
    idps(SAML_IDP, OIDC_OP)

    response = client.get("/", {"next": "/work/3/"})

    assert response["Location"] == "/login/?next=%2Fwork%2F3%2F"


def test_home_sends_to_the_chooser_when_no_idp_is_configured(client, idps):
    idps()

    assert client.get("/")["Location"] == "/login/"


@pytest.mark.django_db
def test_chooser_lists_each_idp_by_display_name_with_the_next_page(client, idps):
    idps(SAML_IDP, OIDC_OP)

    page = client.get("/login/", {"next": "/work/3/"}).content.decode()

    assert "Contoso (Entra ID)" in page
    assert "Fabrikam (OpenID)" in page
    assert 'href="/saml2/login/?idp=https%3A%2F%2Fidp&amp;next=%2Fwork%2F3%2F"' in page
    assert 'href="/oidc/authenticate/?next=%2Fwork%2F3%2F"' in page


@pytest.mark.django_db
def test_chooser_never_links_to_an_off_site_next(client, idps):
    idps(SAML_IDP, OIDC_OP)

    page = client.get("/login/", {"next": "//evil.example/"}).content.decode()

    assert "evil.example" not in page


@pytest.mark.django_db
def test_chooser_says_so_when_nothing_is_configured(client, idps):
    idps()

    page = client.get("/login/").content.decode()

    assert "No sign-in service is configured" in page


@pytest.mark.django_db
def test_a_signed_in_visitor_of_the_chooser_lands_on_the_safe_next(client, idps):
    idps(SAML_IDP, OIDC_OP)
    client.force_login(UserFactory())

    assert client.get("/login/", {"next": "/work/3/"})["Location"] == "/work/3/"
    assert client.get("/login/", {"next": "https://evil.example/"})["Location"] == "/"
