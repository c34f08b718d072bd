"""Where a signed-out visitor is sent, and where a signed-in one lands.

Reading guide: `sign_in_options` lists the configured Identity Providers (each SAML
IdP, then the OIDC provider) as the chooser shows them; `sign_in_url` is the URL of
one option carrying the page the visitor was going to; `safe_next` keeps that page
on this site.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme

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


def _module(name: str):
    # The protocol modules are optional: a deployment may configure only one protocol.
    # find_spec (not a try/except ImportError) so a broken module still fails loudly.
    if importlib.util.find_spec(name) is None:
        return None
    return importlib.import_module(name)


def _url(name: str, fallback: str) -> str:
    try:
        return reverse(name)
    except NoReverseMatch:
        return fallback


def _saml_options() -> list[SignInOption]:
    saml = _module("identity.saml")
    if saml is None or not hasattr(saml, "configured_idps"):
        return []
    login = _url("saml2_login", "/saml2/login/")
    return [
        SignInOption(label=label, protocol="saml2", url=f"{login}?{urlencode({'idp': entity_id})}")
        for entity_id, label in _entity_labels(saml.configured_idps())
    ]


def _entity_labels(idps: Any) -> Iterable[tuple[str, str]]:
    """Yield (entity ID, display name) from what `identity.saml.configured_idps()` returns."""
    if isinstance(idps, Mapping):
        idps = idps.items()
    for idp in idps or ():
        if isinstance(idp, tuple):
            entity_id, label = idp[0], idp[1] if len(idp) > 1 else idp[0]
        else:
            entity_id = getattr(idp, "entity_id", None) or str(idp)
            label = getattr(idp, "display_name", None) or getattr(idp, "name", None)
        if isinstance(label, Mapping):  # pysaml2 style: {"display_name": ..., ...}
            label = label.get("display_name") or label.get("name")
        yield str(entity_id), str(label or entity_id)


def _oidc_options() -> list[SignInOption]:
    oidc = _module("identity.oidc")
    if oidc is None or not hasattr(oidc, "configured_provider"):
        return []
    provider = oidc.configured_provider()
    if not provider:
        return []
    if isinstance(provider, tuple):  # (issuer, display name)
        label = provider[-1]
    elif isinstance(provider, Mapping):
        label = provider.get("display_name") or provider.get("name")
    else:
        label = getattr(provider, "display_name", None) or getattr(provider, "name", None)
    url = _url("oidc_authentication_init", "/oidc/authenticate/")
    return [SignInOption(label=str(label or "OpenID Connect"), protocol="oidc", url=url)]
