"""OpenID Connect sign-in: a thin layer over mozilla-django-oidc.

Reading guide:
- `provider_metadata()` reads the provider's discovery document once per process
  and caches it; `signing_key()` caches the JWKS and refreshes it when a token
  names a key it has not seen (the provider rotated its keys).
- `check_id_token()` does the checks mozilla-django-oidc 5.0 does not: the
  algorithm allow-list, the signature against the cached JWKS, `aud`/`azp`, `iss`
  (with a tenant allow-list for multi-tenant Entra ID endpoints), `exp`/`iat`/`nbf`
  with a small clock skew, and the nonce.
- `OIDCBackend` overrides the library's public hooks only: `verify_token` calls
  `check_id_token`, `get_or_create_user` turns claims into an `Identity`
  (`identity.claims`) and hands it to `provisioning.services.provision_user`.
- `AuthenticateView` and `CallbackView` translate every failure (an invalid
  response, an error from the provider, an unreachable provider) into one
  recorded AuthEvent and a refusal page: 4xx, or 502 when the provider cannot be
  reached or may not be used; never a 500.
- `configured_provider()` tells the portal's chooser what to show;
  `provider_logout_url()` lets the portal's sign-out end the provider's session too.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, NamedTuple
from urllib.parse import urlencode, urlsplit

import jwt
import requests
from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from identity.claims import OIDC, ClaimsError, identity_from_oidc
from identity.presets import Preset, oidc_preset
from identity.refusals import outcome_of, refusal_response, remember_outcome, response_for_outcome
from provisioning.services import provision_user, refuse_invalid_response

logger = logging.getLogger(__name__)

# Asymmetric algorithms only: `none` is no signature, and an HS* token would be
# verified with the client secret (or, in the classic confusion attack, with the
# provider's public key as an HMAC secret).
ASYMMETRIC_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"}
)
# Multi-tenant Entra ID endpoints (`common`, `organizations`) publish an issuer
# template; each token's issuer carries the signing tenant's ID.
TENANT_PLACEHOLDER = "{tenantid}"
# A kid that was still unknown after a refresh is not fetched again for this long,
# so a stream of tokens with made-up kids cannot turn into a stream of JWKS fetches.
UNKNOWN_KID_RETRY_SECONDS = 60
# Pages a sign-in must not land on (they would start another sign-in or end this one).
NO_LANDING_PATHS = ("/oidc/", "/saml2/", "/login/", "/logout/")


class InvalidResponse(Exception):
    """The sign-in cannot be accepted; `reason` goes to the audit trail, never to the page."""

    status = 400

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ProviderDeclined(InvalidResponse):
    """The provider answered the sign-in with an error (`?error=access_denied`, ...)."""

    status = 403


class ProviderUnavailable(InvalidResponse):
    """The provider could not be reached, answered nonsense, or may not be used here."""

    status = 502


# --- the provider: discovery and keys -----------------------------------------------


@dataclass(frozen=True)
class ProviderMetadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    userinfo_endpoint: str
    jwks_uri: str
    signing_algorithms: tuple[str, ...]
    development_only: bool
    end_session_endpoint: str = ""

    @property
    def multi_tenant(self) -> bool:
        return TENANT_PLACEHOLDER in self.issuer.lower()


_metadata_cache: dict[str, ProviderMetadata] = {}
_key_sets: dict[str, _KeySet] = {}
_cache_lock = threading.Lock()


def oidc_configured() -> bool:
    """Return whether an OpenID Connect provider is configured."""
    return bool(settings.OIDC_OP_DISCOVERY_URL)


def provider_metadata() -> ProviderMetadata:
    """Return the configured provider's metadata, read once per process and cached.

    Raise ProviderUnavailable when the discovery document cannot be read or is
    unusable, and when it is a development provider while DJANGO_DEBUG is off.
    A failure is not cached: the next sign-in tries again.
    """
    url = settings.OIDC_OP_DISCOVERY_URL
    metadata = _metadata_cache.get(url)
    if metadata is None:
        with _cache_lock:
            metadata = _metadata_cache.get(url) or _fetch_metadata(url)
            _metadata_cache[url] = metadata
    _refuse_development_provider(metadata)
    return metadata


def signing_key(metadata: ProviderMetadata, *, kid: str, algorithm: str) -> jwt.PyJWK:
    """Return the provider's public key `kid` for `algorithm` from the cached JWKS.

    The JWKS is fetched on first use and again when a token names a kid the cache
    does not hold (key rotation). Raise InvalidResponse for an unknown key.
    """
    with _cache_lock:
        key_set = _key_sets.get(metadata.jwks_uri)
        if key_set is None:
            key_set = _key_sets[metadata.jwks_uri] = _KeySet(metadata.jwks_uri)
    return key_set.key(kid=kid, algorithm=algorithm)


def reset_provider_cache() -> None:
    """Forget the cached discovery documents and key sets (tests, benchmarks, rotation)."""
    with _cache_lock:
        _metadata_cache.clear()
        _key_sets.clear()


class ConfiguredProvider(NamedTuple):
    issuer: str
    display_name: str


def configured_preset() -> Preset:
    """Return the claim preset named by OIDC_PRESET; a wrong name makes sign-in unavailable."""
    try:
        return oidc_preset(settings.OIDC_PRESET)
    except ValueError as exc:
        raise ProviderUnavailable(f"OIDC_PRESET is wrong: {exc}") from exc


def configured_provider() -> ConfiguredProvider | None:
    """Return (issuer, display name) of the configured provider, or None when OIDC is off.

    Never touches the network, so the chooser can call it on every page: before the
    first sign-in the issuer is derived from the discovery URL.
    """
    url = settings.OIDC_OP_DISCOVERY_URL
    if not url:
        return None
    cached = _metadata_cache.get(url)
    issuer = cached.issuer if cached else url.split("/.well-known/")[0]
    return ConfiguredProvider(issuer, settings.OIDC_PROVIDER_NAME or _display_name(url))


def provider_logout_url(request: HttpRequest) -> str | None:
    """Return the provider's end-session URL for signing out there too, or None.

    Used as mozilla-django-oidc's OIDC_OP_LOGOUT_URL_METHOD (the portal's sign-out
    calls it before ending the session). The provider sends the browser back to the
    portal's sign-out page, which must be registered as a post-logout redirect URI.
    None when OIDC is off, the provider has no end-session endpoint, or it cannot be
    reached: signing out of the portal never waits on, or fails because of, the provider.
    """
    if not oidc_configured():
        return None
    try:
        metadata = provider_metadata()
    except InvalidResponse:
        return None
    if not metadata.end_session_endpoint:
        return None
    query = urlencode(
        {
            "client_id": settings.OIDC_RP_CLIENT_ID,
            "post_logout_redirect_uri": request.build_absolute_uri(reverse("portal:logout")),
        }
    )
    separator = "&" if "?" in metadata.end_session_endpoint else "?"
    return f"{metadata.end_session_endpoint}{separator}{query}"


class _KeySet:
    """One provider's JWKS, cached, refreshed when an unknown kid shows up."""

    def __init__(self, uri: str) -> None:
        self.uri = uri
        self.keys: dict[str, dict[str, Any]] = {}
        self.fetched = False
        self.missed: dict[str, float] = {}
        self.lock = threading.Lock()

    def key(self, *, kid: str, algorithm: str) -> jwt.PyJWK:
        jwk = self.keys.get(kid)
        if jwk is None:
            with self.lock:
                jwk = self.keys.get(kid)
                if jwk is None and self._worth_fetching(kid):
                    self.keys = _fetch_jwks(self.uri)
                    self.fetched = True
                    jwk = self.keys.get(kid)
                    if jwk is None:
                        if len(self.missed) > 100:
                            self.missed.clear()
                        self.missed[kid] = time.monotonic()
        if jwk is None:
            raise InvalidResponse(f"the ID token is signed with an unknown key (kid {kid[:64]!r})")
        if jwk.get("use", "sig") != "sig" or jwk.get("alg", algorithm) != algorithm:
            raise InvalidResponse(f"the key {kid[:64]!r} is not for {algorithm} signatures")
        try:
            return jwt.PyJWK(jwk, algorithm=algorithm)
        except jwt.PyJWTError as exc:
            raise InvalidResponse(f"the key {kid[:64]!r} cannot verify {algorithm}") from exc

    def _worth_fetching(self, kid: str) -> bool:
        missed_at = self.missed.get(kid)
        return (
            not self.fetched
            or missed_at is None
            or time.monotonic() - missed_at > UNKNOWN_KID_RETRY_SECONDS
        )


def _get_json(url: str, what: str) -> dict[str, Any]:
    try:
        response = requests.get(url, timeout=settings.OIDC_TIMEOUT)
        response.raise_for_status()
        document = response.json()
    except requests.RequestException as exc:
        reason = f"the provider's {what} could not be read: {_short(exc)}"
        raise ProviderUnavailable(reason) from exc
    except ValueError as exc:
        raise ProviderUnavailable(f"the provider's {what} is not JSON") from exc
    if not isinstance(document, dict):
        raise ProviderUnavailable(f"the provider's {what} is not a JSON object")
    return document


def _fetch_metadata(url: str) -> ProviderMetadata:
    document = _get_json(url, "discovery document")
    try:
        metadata = ProviderMetadata(
            issuer=str(document["issuer"]),
            authorization_endpoint=str(document["authorization_endpoint"]),
            token_endpoint=str(document["token_endpoint"]),
            userinfo_endpoint=str(document.get("userinfo_endpoint") or ""),
            jwks_uri=str(document["jwks_uri"]),
            signing_algorithms=tuple(
                alg
                for alg in document.get("id_token_signing_alg_values_supported", ["RS256"])
                if alg in ASYMMETRIC_ALGORITHMS
            ),
            development_only=document.get("development_only") is True,
            end_session_endpoint=str(document.get("end_session_endpoint") or ""),
        )
    except KeyError as exc:
        raise ProviderUnavailable(f"the discovery document has no {exc.args[0]}") from exc
    if not metadata.signing_algorithms:
        raise ProviderUnavailable("the provider offers no asymmetric ID token algorithm")
    logger.info("OIDC provider discovered: issuer %s", metadata.issuer)
    return metadata


def _fetch_jwks(uri: str) -> dict[str, dict[str, Any]]:
    document = _get_json(uri, "key set (JWKS)")
    keys = document.get("keys")
    if not isinstance(keys, list):
        raise ProviderUnavailable("the provider's key set (JWKS) has no keys")
    return {str(k["kid"]): k for k in keys if isinstance(k, dict) and k.get("kid")}


def _refuse_development_provider(metadata: ProviderMetadata) -> None:
    """Refuse a development provider, or any provider over plain HTTP, unless debugging.

    Two independent signs, so neither a renamed development provider nor a
    misconfigured URL slips through: the development provider says so in its
    discovery document, and it serves plain http on loopback, which no real
    provider does (OpenID Connect Discovery requires an https issuer).
    """
    if settings.DEBUG:
        return
    if metadata.development_only:
        raise ProviderUnavailable(
            "the configured provider is a development provider and DJANGO_DEBUG is off"
        )
    endpoints = (metadata.issuer, metadata.authorization_endpoint, metadata.token_endpoint,
                 metadata.jwks_uri)
    if any(urlsplit(url).scheme != "https" for url in endpoints):
        raise ProviderUnavailable(
            "the configured provider does not use https and DJANGO_DEBUG is off"
        )


def _display_name(discovery_url: str) -> str:
    parts = urlsplit(discovery_url)
    host = (parts.hostname or "").lower()
    if host in ("login.microsoftonline.com", "sts.windows.net") or host.endswith(
        ".microsoftonline.com"
    ):
        return "Microsoft Entra ID"
    if parts.path.lower().startswith("/adfs"):
        return "AD FS"
    if host in ("127.0.0.1", "localhost", "::1"):
        return "Development sign-in (DEVELOPMENT ONLY)"
    return host or "OpenID Connect"


# --- the ID token checks -------------------------------------------------------------

_NO_NONCE = object()


def check_id_token(
    token: str | None,
    *,
    metadata: ProviderMetadata,
    client_id: str,
    nonce: Any = _NO_NONCE,
    allowed_tenants: tuple[str, ...] = (),
    leeway: int = 60,
) -> dict[str, Any]:
    """Return the claims of a verified ID token; raise InvalidResponse otherwise.

    Checks, in order: an algorithm the provider announced and that is asymmetric;
    the signature with the provider's key named by `kid`; `exp`, `iat` and `nbf`
    within `leeway` seconds; `aud` containing `client_id` (and `azp` when several
    audiences); `iss` equal to the provider's issuer, or for a multi-tenant
    endpoint the issuer of a tenant in `allowed_tenants`; the `nonce` sent with
    the request, when one is given.
    """
    if not token:
        raise InvalidResponse("the token response holds no ID token")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise InvalidResponse("the ID token is not a JWT") from exc
    algorithm = header.get("alg")
    if algorithm not in metadata.signing_algorithms:
        raise InvalidResponse(
            f"the ID token algorithm {str(algorithm)[:20]!r} is not allowed "
            f"(allowed: {', '.join(metadata.signing_algorithms)})"
        )
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise InvalidResponse("the ID token header names no key (kid)")
    key = signing_key(metadata, kid=kid, algorithm=algorithm)

    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[algorithm],
            audience=client_id,
            leeway=leeway,
            options={"require": ["iss", "sub", "aud", "exp", "iat"], "verify_iss": False},
        )
    except jwt.InvalidSignatureError as exc:
        raise InvalidResponse("the ID token signature is not valid") from exc
    except jwt.ExpiredSignatureError as exc:
        raise InvalidResponse("the ID token has expired") from exc
    except jwt.ImmatureSignatureError as exc:
        raise InvalidResponse("the ID token is not valid yet (iat or nbf in the future)") from exc
    except jwt.InvalidAudienceError as exc:
        raise InvalidResponse(f"the ID token is for another audience, not {client_id!r}") from exc
    except jwt.MissingRequiredClaimError as exc:
        raise InvalidResponse(f"the ID token has no {exc.claim} claim") from exc
    except jwt.PyJWTError as exc:
        raise InvalidResponse(f"the ID token is not valid: {_short(exc)}") from exc

    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != client_id:
        raise InvalidResponse("the ID token has several audiences and azp is not our client")
    _check_issuer(claims, metadata=metadata, allowed_tenants=allowed_tenants)
    if nonce is not _NO_NONCE and (not nonce or claims.get("nonce") != nonce):
        raise InvalidResponse("the ID token nonce does not match the sign-in request")
    return claims


def _check_issuer(
    claims: dict[str, Any], *, metadata: ProviderMetadata, allowed_tenants: tuple[str, ...]
) -> None:
    issuer = claims.get("iss")
    if not metadata.multi_tenant:
        if issuer != metadata.issuer:
            raise InvalidResponse(f"the ID token issuer {str(issuer)[:200]!r} is not the provider")
        return
    # A multi-tenant endpoint accepts any tenant's tokens: only the tenants the
    # operator listed may sign in, or any Entra ID customer could.
    tenant = str(claims.get("tid") or "")
    allowed = {t.lower() for t in allowed_tenants}
    if not allowed:
        raise InvalidResponse("a multi-tenant provider needs OIDC_ALLOWED_TENANTS; none is set")
    if tenant.lower() not in allowed:
        raise InvalidResponse(f"the tenant {tenant[:64]!r} is not in OIDC_ALLOWED_TENANTS")
    start = metadata.issuer.lower().index(TENANT_PLACEHOLDER)
    expected = metadata.issuer[:start] + tenant + metadata.issuer[start + len(TENANT_PLACEHOLDER):]
    if issuer != expected:
        raise InvalidResponse(f"the ID token issuer {str(issuer)[:200]!r} is not {expected!r}")


def _short(exc: Exception) -> str:
    return str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__


# --- the backend ----------------------------------------------------------------------

# mozilla-django-oidc reads its endpoints from settings when a backend or view is
# built; ours come from discovery, at sign-in time, so that signed-in pages (which
# build the backend to load the user) never wait on the provider.
_DISCOVERED_SETTINGS = frozenset(
    {
        "OIDC_OP_AUTHORIZATION_ENDPOINT",
        "OIDC_OP_TOKEN_ENDPOINT",
        "OIDC_OP_USER_ENDPOINT",
        "OIDC_OP_JWKS_ENDPOINT",
    }
)


def _library_setting(attr: str, *default: Any) -> Any:
    if attr in _DISCOVERED_SETTINGS:
        return ""
    return import_from_settings(attr, *default)


class OIDCBackend(OIDCAuthenticationBackend):
    """Sign in through the configured OpenID Connect provider, with JIT provisioning.

    Claims come from the verified ID token, completed (never overridden) by the
    userinfo endpoint when the provider has one. Who the person is and whether
    they may enter is decided by `identity.claims` and `provisioning`, not here.
    """

    get_settings = staticmethod(_library_setting)

    def authenticate(self, request: HttpRequest | None, **kwargs: Any):
        # Only the callback view passes a nonce; other sign-ins (passwords) are not ours.
        if request is None or "nonce" not in kwargs or not oidc_configured():
            return None
        metadata = provider_metadata()
        self.OIDC_OP_TOKEN_ENDPOINT = metadata.token_endpoint
        self.OIDC_OP_USER_ENDPOINT = metadata.userinfo_endpoint
        self.OIDC_OP_JWKS_ENDPOINT = metadata.jwks_uri
        return super().authenticate(request, **kwargs)

    def get_token(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Return the token endpoint's answer; refuse one that is not a JSON object."""
        token_info = super().get_token(payload)
        if not isinstance(token_info, dict):
            raise InvalidResponse("the provider's token response is not a JSON object")
        return token_info

    def verify_token(self, token: str, **kwargs: Any) -> dict[str, Any]:
        """Return the verified claims of `token` (see `check_id_token`)."""
        return check_id_token(
            token,
            metadata=provider_metadata(),
            client_id=self.OIDC_RP_CLIENT_ID,
            nonce=kwargs.get("nonce", _NO_NONCE),
            allowed_tenants=tuple(settings.OIDC_ALLOWED_TENANTS),
            leeway=settings.OIDC_CLOCK_SKEW_SECONDS,
        )

    def get_or_create_user(self, access_token: str, id_token: str, payload: dict[str, Any]):
        """Return the user to sign in, created when JIT allows it, or None when refused.

        Never matches by email (the library's default would link accounts that way):
        the person is their (username, domain) from the UPN-bearing claims.
        """
        claims = dict(payload)
        if self.OIDC_OP_USER_ENDPOINT:
            userinfo = self.get_userinfo(access_token, id_token, payload)
            if not isinstance(userinfo, dict) or userinfo.get("sub") != payload.get("sub"):
                # OpenID Connect Core 5.3.4: userinfo for another subject must not be used.
                raise InvalidResponse("the userinfo response is about another subject")
            for name, value in userinfo.items():
                claims.setdefault(name, value)
        # The verified issuer: for a multi-tenant endpoint it names the person's tenant.
        identity = identity_from_oidc(claims=claims, idp=payload["iss"], preset=configured_preset())
        outcome = provision_user(identity=identity, request=self.request)
        remember_outcome(self.request, outcome)
        return outcome.user if outcome.signed_in else None

    def get_user(self, user_id: Any):
        # The library's get_user ignores is_active; Django's refuses a disabled account,
        # so disabling someone in the console ends their session at the next request.
        return ModelBackend.get_user(self, user_id)


# --- the views ------------------------------------------------------------------------


class AuthenticateView(OIDCAuthenticationRequestView):
    """Start a sign-in: redirect to the provider with state, nonce and PKCE (S256).

    A `next` parameter is kept only when it points back to this site.
    """

    get_settings = staticmethod(_library_setting)

    def get(self, request: HttpRequest) -> HttpResponse:
        if not oidc_configured():
            raise Http404("OpenID Connect is not configured")
        try:
            metadata = provider_metadata()
            configured_preset()  # a configuration error shows now, not after the provider
        except InvalidResponse as exc:
            return refuse(request, exc)
        self.OIDC_OP_AUTH_ENDPOINT = metadata.authorization_endpoint
        response = super().get(request)
        # The library keeps any same-site `next`; landing back on a sign-in or sign-out
        # page after signing in would start over (with single sign-on, for ever).
        next_url = request.session.get("oidc_login_next") or ""
        if urlsplit(next_url).path.startswith(NO_LANDING_PATHS):
            request.session["oidc_login_next"] = None
        return response


class CallbackView(OIDCAuthenticationCallbackView):
    """Finish a sign-in; every failure becomes one AuthEvent and a refusal page."""

    def get(self, request: HttpRequest) -> HttpResponse:
        if not oidc_configured():
            raise Http404("OpenID Connect is not configured")
        try:
            return super().get(request)
        except InvalidResponse as exc:
            return refuse(request, exc)
        except ClaimsError as exc:
            return refuse(request, InvalidResponse(str(exc)))
        except SuspiciousOperation as exc:
            # The library's only one here: a state that no sign-in in this browser started.
            return refuse(
                request,
                InvalidResponse(f"the state does not match a sign-in in progress ({_short(exc)})"),
            )
        except requests.HTTPError as exc:
            status = exc.response.status_code if exc.response is not None else 0
            error = _oauth_error(exc.response)
            endpoint = urlsplit(exc.response.url).path if exc.response is not None else ""
            failure = ProviderUnavailable if status >= 500 or not status else InvalidResponse
            return refuse(
                request,
                failure(f"the provider refused {endpoint or 'a request'}: HTTP {status} {error}"),
            )
        except requests.RequestException as exc:
            return refuse(request, ProviderUnavailable(f"the provider could not be reached: "
                                                       f"{_short(exc)}"))

    def login_failure(self) -> HttpResponse:
        request = self.request
        outcome = outcome_of(request)
        if outcome is not None:
            return response_for_outcome(request, outcome)  # provisioning already recorded it
        error = request.GET.get("error")
        if error:
            description = request.GET.get("error_description", "")
            failure = ProviderDeclined(
                f"the provider returned error={error[:100]}"
                + (f": {description[:200]}" if description else "")
            )
        elif "oidc_states" not in request.session:
            failure = InvalidResponse("callback without a sign-in in progress (no session state)")
        elif not request.GET.get("code") or not request.GET.get("state"):
            failure = InvalidResponse("callback without code or state")
        else:
            failure = InvalidResponse("the sign-in was not accepted")
        return refuse(request, failure)


def refuse(request: HttpRequest, failure: InvalidResponse) -> HttpResponse:
    """Record a failed OIDC sign-in (Failed Login / Invalid response) and show its page."""
    cached = _metadata_cache.get(settings.OIDC_OP_DISCOVERY_URL)
    event = refuse_invalid_response(
        reason=failure.reason,
        request=request,
        idp=cached.issuer if cached else settings.OIDC_OP_DISCOVERY_URL,
        protocol=OIDC,
    )
    logger.warning("OIDC sign-in refused (event %s): %s", event.pk, failure.reason)
    kind = "unavailable" if failure.status == 502 else "invalid"
    return refusal_response(request, kind=kind, reference=event.pk, status=failure.status)


def _oauth_error(response: requests.Response | None) -> str:
    if response is None:
        return ""
    try:
        body = response.json()
    except ValueError:
        return ""
    return str(body.get("error", ""))[:100] if isinstance(body, dict) else ""
