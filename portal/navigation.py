"""Where a signed-out visitor is sent, and where a signed-in one lands.

Reading guide: `sign_in_options` lists the configured Identity Providers (each SAML
IdP, then the OIDC provider) as the chooser shows them; `sign_in_url` is the URL of
one option carrying the page the visitor was going to; `safe_next` keeps that page
on this site.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme

from identity.oidc import configured_provider
from identity.saml import configured_idps

HOME = "/"


@dataclass(frozen=True)
class SignInOption:
    label: str
    protocol: str
    url: str  # the protocol's login view, with `idp=` when a SAML IdP is chosen


def sign_in_options() -> list[SignInOption]:
    """Return the ways to sign in: every configured SAML IdP, then the OIDC provider.

    An empty list means no Identity Provider is configured.
    """
    return [*_saml_options(), *_oidc_options()]


def sign_in_url(option: SignInOption, next_url: str) -> str:
    """Return `option`'s login URL, asking to come back to `next_url` afterwards."""
    if next_url == HOME:
        return option.url
    separator = "&" if "?" in option.url else "?"
    return f"{option.url}{separator}{urlencode({'next': next_url})}"


def safe_next(request: HttpRequest, candidate: str | None) -> str:
    """Return `candidate` when it is a page of this site, else the home page.

    An attacker who can make someone sign in through a link like
    `/login/?next=https://evil.example/` would otherwise get a trusted sign-in to
    bounce the victim to a look-alike site (an open redirect). Only paths on this
    host are kept (`//evil.example` and `/\\evil.example` are other hosts to a
    browser), and never the sign-in or sign-out pages themselves, which would loop.
    """
    if not candidate:
        return HOME
    if not url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return HOME
    path = urlsplit(candidate).path
    if path in (reverse("portal:login"), reverse("portal:logout")):
        return HOME
    return candidate


def _url(name: str, fallback: str) -> str:
    try:
        return reverse(name)
    except NoReverseMatch:
        return fallback


def _saml_options() -> list[SignInOption]:
    login = _url("saml2_login", "/saml2/login/")
    return [
        SignInOption(label=label, protocol="saml2", url=f"{login}?{urlencode({'idp': entity_id})}")
        for entity_id, label in configured_idps()
    ]


def _oidc_options() -> list[SignInOption]:
    provider = configured_provider()
    if provider is None:
        return []
    url = _url("oidc_authentication_init", "/oidc/authenticate/")
    return [SignInOption(label=provider.display_name, protocol="oidc", url=url)]
