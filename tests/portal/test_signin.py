"""Signing in: where `/` sends a signed-out visitor, and which `next` pages are kept."""

import pytest
from django.test import RequestFactory

from portal.navigation import safe_next
from tests.factories import UserFactory


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


OIDC_DISCOVERY = "https://login.fabrikam.test/v2.0/.well-known/openid-configuration"


@pytest.fixture
def oidc_on(settings):
    """Configure an OpenID Connect provider (read from settings; no network until sign-in)."""
    settings.OIDC_OP_DISCOVERY_URL = OIDC_DISCOVERY
    settings.OIDC_RP_CLIENT_ID = "portal"
    settings.OIDC_RP_CLIENT_SECRET = "secret"
    settings.OIDC_PROVIDER_NAME = "Fabrikam (OpenID)"


@pytest.mark.django_db
def test_home_goes_straight_to_the_only_idp(client, saml_idps):
    [idp] = saml_idps()

    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == "/saml2/login/?idp=https%3A%2F%2Fidp.contoso.test%2F"
    # ... and from there to the IdP itself, with a SAML AuthnRequest.
    at_idp = client.get(response["Location"])
    assert at_idp["Location"].startswith("https://idp.contoso.test/saml/sso/redirect?SAMLRequest=")


@pytest.mark.django_db
def test_home_goes_straight_to_the_only_idp_carrying_a_safe_next(client, saml_idps):
    saml_idps()

    response = client.get("/", {"next": "/work/3/"})

    assert response["Location"].endswith("&next=%2Fwork%2F3%2F")


@pytest.mark.django_db
def test_home_drops_an_off_site_next_on_its_way_to_the_idp(client, saml_idps):
    saml_idps()

    response = client.get("/", {"next": "https://evil.example/"})

    assert "evil" not in response["Location"]


@pytest.mark.django_db
def test_the_safe_next_survives_the_whole_saml_sign_in(client, saml_idps, saml_sign_in):
    [idp] = saml_idps()
    UserFactory(username="adele.vance", domain="contoso.com")

    answer = saml_sign_in(idp, "adele.vance@contoso.com", next_path="/work/3/")

    assert answer.status_code == 302
    assert answer["Location"] == "/work/3/"


@pytest.mark.django_db
def test_an_off_site_next_never_survives_the_saml_sign_in(client, saml_idps, saml_sign_in):
    [idp] = saml_idps()
    UserFactory(username="adele.vance", domain="contoso.com")

    answer = saml_sign_in(idp, "adele.vance@contoso.com", next_path="https://evil.example/")

    assert answer.status_code == 302
    assert answer["Location"] == "/"


@pytest.mark.django_db
def test_home_sends_to_the_chooser_when_several_idps_are_configured(client, saml_idps):
    saml_idps(count=2)

    response = client.get("/", {"next": "/work/3/"})

    assert response["Location"] == "/login/?next=%2Fwork%2F3%2F"


@pytest.mark.django_db
def test_home_sends_to_the_chooser_when_no_idp_is_configured(client, settings):
    settings.OIDC_OP_DISCOVERY_URL = ""
    settings.SAML_CONFIG = {**settings.SAML_CONFIG, "metadata": {}}

    assert client.get("/")["Location"] == "/login/"
    assert "No sign-in service is configured" in client.get("/login/").content.decode()


@pytest.mark.django_db
def test_chooser_lists_each_idp_by_display_name_with_the_next_page(client, saml_idps):
    saml_idps(count=2)

    page = client.get("/login/", {"next": "/work/3/"}).content.decode()

    assert ">Contoso</a>" in page
    assert ">Contoso 1</a>" in page
    assert (
        'href="/saml2/login/?idp=https%3A%2F%2Fidp1.contoso.test%2F&amp;next=%2Fwork%2F3%2F"'
        in page
    )


@pytest.mark.django_db
def test_chooser_never_links_to_an_off_site_next(client, saml_idps):
    saml_idps(count=2)

    page = client.get("/login/", {"next": "//evil.example/"}).content.decode()

    assert "evil.example" not in page


@pytest.mark.django_db
def test_a_signed_in_visitor_of_the_chooser_lands_on_the_safe_next(client):
    client.force_login(UserFactory())

    assert client.get("/login/", {"next": "/work/3/"})["Location"] == "/work/3/"
    assert client.get("/login/", {"next": "https://evil.example/"})["Location"] == "/"


@pytest.mark.django_db
def test_home_goes_straight_to_the_oidc_provider_when_it_is_the_only_one(client, settings, oidc_on):
    settings.SAML_CONFIG = {**settings.SAML_CONFIG, "metadata": {}}

    response = client.get("/", {"next": "/work/3/"})

    assert response["Location"] == "/oidc/authenticate/?next=%2Fwork%2F3%2F"


@pytest.mark.django_db
def test_chooser_lists_the_saml_idps_and_the_oidc_provider(client, saml_idps, oidc_on):
    saml_idps()

    assert client.get("/")["Location"] == "/login/"
    page = client.get("/login/", {"next": "/work/3/"}).content.decode()
    assert ">Contoso</a>" in page
    assert '>Fabrikam (OpenID)</a>' in page
    assert 'href="/oidc/authenticate/?next=%2Fwork%2F3%2F"' in page
