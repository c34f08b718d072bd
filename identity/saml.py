"""SAML 2.0 sign-in: djangosaml2 and pysaml2, adapted to the portal.

Reading guide:
- `build_sp_config` is the ONE place the pysaml2 configuration and its security
  context (keys, crypto backend) are built; `config_loader` (djangosaml2's
  SAML_CONFIG_LOADER) hands out that configuration, built once per process and
  rebuilt when the IdP metadata is due for a refresh or on `reload_config()`;
- `configured_idps` lists the IdPs for the portal's chooser;
- `SamlBackend.get_or_create_user` turns a validated assertion into an `Identity`
  (identity/claims.py) and hands it to `provision_user`, which alone decides;
- `AssertionConsumerServiceView` refuses replays and oversized posts, and
  `handle_acs_failure` records every refusal once and shows the refusal page;
- `LoginView` starts an SP-initiated sign-in with a safe `next`.

Why a cached configuration: stock djangosaml2 builds a new pysaml2 configuration per
request (re-reading metadata and the SP key; OpenSSL 3 validates an RSA key on every
load) and pysaml2 asks `xmlsec1 --version` twice per signature check. Here the
configuration, its metadata store and its security context are built once and
shared read-only between requests and threads; a refresh builds a new one and
swaps the reference, so a request never sees a half-built configuration.
"""

from __future__ import annotations

import base64
import binascii
import copy
import datetime as dt
import logging
import threading
import time
from dataclasses import dataclass
from xml.etree.ElementTree import ParseError

import saml2.entity
from cryptography import x509
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as parse_xml_safely
from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.core.signals import setting_changed
from django.db import IntegrityError, transaction
from django.dispatch import receiver
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from djangosaml2.backends import Saml2Backend
from djangosaml2.utils import available_idps
from djangosaml2.views import AssertionConsumerServiceView as Saml2AcsView
from djangosaml2.views import LoginView as Saml2LoginView
from saml2.config import SPConfig
from saml2.response import (
    IncorrectlySigned,
    StatusError,
    UnsolicitedResponse,
    VerificationError,
)
from saml2.s_utils import RequestVersionTooHigh, RequestVersionTooLow
from saml2.sigver import CryptoBackendXmlSec1, MissingKey, SignatureError, SigverError
from saml2.sigver import security_context as pysaml2_security_context
from saml2.time_util import str_to_time
from saml2.validate import ResponseLifetimeExceed, ToEarly

from devidp.saml import (
    DEVELOPMENT_CERT_MARK,
    DEVELOPMENT_ENTITY_ATTRIBUTE,
    DEVELOPMENT_ENTITY_VALUE,
)
from identity.claims import SAML2, ClaimsError, identity_from_saml
from identity.models import ConsumedAssertion
from identity.presets import Preset, saml_preset
from identity.refusals import outcome_of, refusal_response, remember_outcome, response_for_outcome
from identity.xmlsig import InProcessCryptoBackend
from provisioning.services import provision_user, refuse_invalid_response

logger = logging.getLogger(__name__)

_CLAIMS_ERROR = "_saml_claims_error"


# --- the configuration, built once -------------------------------------------------


class SharedSPConfig(SPConfig):
    """A pysaml2 SP configuration that carries a security context built once.

    pysaml2 builds a security context (loading the SP key) for every client it
    creates; `_reuse_security_context` hands clients of this configuration the
    shared one instead.
    """

    shared_security_context = None


class XmlSec1Backend(CryptoBackendXmlSec1):
    """pysaml2's xmlsec1 backend that asks the binary for its version once.

    pysaml2 runs `xmlsec1 --version` before reading every `--verify` result; the
    binary does not change while the process runs.
    """

    def __init__(self, xmlsec_binary: str, **kwargs) -> None:
        super().__init__(xmlsec_binary, **kwargs)
        self._version = CryptoBackendXmlSec1.version.fget(self)

    @property
    def version(self) -> str:
        return self._version


def build_sp_config(
    saml_config: dict, *, trust_development_idps: bool, signature_verifier: str = "inprocess"
) -> SharedSPConfig:
    """Build the pysaml2 SP configuration and its security context from `saml_config`.

    This is the one place they are built: the crypto backend is chosen here. By default
    signatures are verified in-process (identity/xmlsig.py, SAML_SIGNATURE_VERIFIER);
    "xmlsec1" runs the xmlsec1 command per signature instead. Signing and decryption
    run the command either way.
    Development IdPs (see devidp/) are dropped from the trusted metadata unless
    `trust_development_idps`. Keys and certificates must be local paths (pysaml2
    rewrites URLs in place, which a shared configuration must not allow).
    """
    _install_security_context_hook()
    for name in ("key_file", "cert_file"):
        if str(saml_config.get(name, "")).startswith(("http://", "https://")):
            raise ValueError(f"SAML {name} must be a local file path, not a URL")
    if saml_config.get("generate_cert_info"):
        # pysaml2 then rewrites certificates inside the shared security context per request.
        raise ValueError("SAML generate_cert_info cannot be used with a shared configuration")
    config = SharedSPConfig()
    config.load(copy.deepcopy(saml_config))
    if not trust_development_idps:
        _drop_development_idps(config)
    security = pysaml2_security_context(config)
    backend = InProcessCryptoBackend if signature_verifier == "inprocess" else XmlSec1Backend
    security.crypto = backend(security.crypto.xmlsec, delete_tmpfiles=config.delete_tmpfiles)
    config.shared_security_context = security
    return config


@dataclass(frozen=True)
class _Built:
    config: SharedSPConfig
    built_at: float


_built: _Built | None = None
_build_lock = threading.Lock()


def config_loader(request: HttpRequest | None = None) -> SharedSPConfig:
    """Return the process's SP configuration (djangosaml2's SAML_CONFIG_LOADER).

    Built at the first call; rebuilt when older than SAML_METADATA_REFRESH_SECONDS
    (0: never) so the IdPs' metadata (new signing certificates) is picked up. While
    one thread rebuilds, the others keep using the current configuration; when a
    rebuild fails (an IdP's metadata URL is down) the current one stays in use.
    """
    global _built
    built = _built
    if built is None:
        with _build_lock:
            if _built is None:
                _built = _Built(_build_from_settings(), time.monotonic())
            return _built.config
    refresh = getattr(settings, "SAML_METADATA_REFRESH_SECONDS", 0)
    if (
        refresh
        and time.monotonic() - built.built_at > refresh
        and _build_lock.acquire(blocking=False)
    ):
        try:
            _built = _Built(_build_from_settings(), time.monotonic())
        except Exception:
            logger.exception("Refreshing the SAML configuration failed; keeping the current one")
            _built = _Built(built.config, time.monotonic())
        finally:
            _build_lock.release()
    return _built.config


def reload_config() -> None:
    """Forget the process's SP configuration: the next request builds a new one."""
    global _built
    with _build_lock:
        _built = None


@receiver(setting_changed)
def _settings_changed(*, setting: str, **kwargs) -> None:
    # What the built configuration depends on (tests and benchmarks change them).
    if setting in ("SAML_CONFIG", "DEBUG", "SAML_SIGNATURE_VERIFIER"):
        reload_config()


def _build_from_settings() -> SharedSPConfig:
    return build_sp_config(
        settings.SAML_CONFIG,
        trust_development_idps=settings.DEBUG,
        signature_verifier=settings.SAML_SIGNATURE_VERIFIER,
    )


def saml_enabled() -> bool:
    """Return whether any IdP metadata is configured (SAML_IDP_METADATA)."""
    metadata = settings.SAML_CONFIG.get("metadata") or {}
    return any(metadata.get(kind) for kind in ("local", "remote", "inline", "mdq"))


def configured_idps() -> list[tuple[str, str]]:
    """Return (entity ID, display name) of every trusted IdP, by display name.

    The name comes from the IdP's metadata (UI info or organisation), else the
    entity ID. Empty when SAML is off or its configuration cannot be built.
    """
    if not saml_enabled():
        return []
    try:
        config = config_loader()
    except Exception:
        logger.exception("The SAML configuration cannot be built")
        return []
    idps = available_idps(config)
    return sorted(((eid, name or eid) for eid, name in idps.items()), key=lambda p: p[1].lower())


def preset_for(entity_id: str) -> Preset:
    """Return the attribute preset configured for an IdP (SAML_IDP_PRESETS), else generic."""
    return saml_preset(getattr(settings, "SAML_IDP_PRESETS", {}).get(entity_id))


# --- trust: the development IdP -------------------------------------------------------


def is_development_idp(config: SPConfig, entity_id: str) -> bool:
    """Return whether an IdP in the metadata is a development IdP.

    Either mark is enough: the development-only entity attribute in its metadata,
    or DEVELOPMENT ONLY in the subject of one of its signing certificates (which
    cannot be removed without breaking the signatures it makes).
    """
    attributes = config.metadata.entity_attributes(entity_id)
    if DEVELOPMENT_ENTITY_VALUE in attributes.get(DEVELOPMENT_ENTITY_ATTRIBUTE, []):
        return True
    for _, cert in config.metadata.certs(entity_id, "idpsso", "signing"):
        try:
            der = base64.b64decode("".join(cert.split()))
            subject = x509.load_der_x509_certificate(der).subject.rfc4514_string()
        except ValueError:
            continue
        if DEVELOPMENT_CERT_MARK.lower() in subject.lower():
            return True
    return False


def _drop_development_idps(config: SPConfig) -> None:
    # Production never trusts an IdP that signs in whoever clicks a name.
    for source in config.metadata.metadata.values():
        for entity_id in list(source.entity):
            if "idpsso_descriptor" in source.entity[entity_id] and is_development_idp(
                config, entity_id
            ):
                logger.error(
                    "Refusing to trust the development IdP %s: DJANGO_DEBUG is off", entity_id
                )
                del source.entity[entity_id]


# --- pysaml2 hook: one security context per configuration ----------------------------

_hook_lock = threading.Lock()


def _reuse_security_context(config):
    shared = getattr(config, "shared_security_context", None)
    return shared if shared is not None else pysaml2_security_context(config)


def _install_security_context_hook() -> None:
    """Make pysaml2 clients of a SharedSPConfig reuse its security context.

    pysaml2 (pinned in pyproject.toml) has no public setting for this: every
    `Entity.__init__` calls `saml2.entity.security_context(config)`. Other
    configurations (IdPs, stock djangosaml2) still get a fresh one.
    tests/identity/test_saml_speed.py fails if the hook stops being used.
    """
    with _hook_lock:
        if saml2.entity.security_context is not _reuse_security_context:
            saml2.entity.security_context = _reuse_security_context


# --- the backend ----------------------------------------------------------------------


class SamlBackend(Saml2Backend):
    """Sign in the person in a validated SAML assertion, through provisioning.

    djangosaml2 validates the response and calls `get_or_create_user`; this backend
    never creates or updates a user itself (SAML_ATTRIBUTE_MAPPING only names the
    identifier, so djangosaml2 has nothing to update).
    """

    def authenticate(self, request, session_info=None, **kwargs):
        # get_or_create_user is not given the NameID's format; Django makes one
        # backend instance per authenticate() call, so keeping it here is safe.
        self.name_id = (session_info or {}).get("name_id")
        return super().authenticate(request, session_info=session_info, **kwargs)

    def get_or_create_user(
        self,
        user_lookup_key,
        user_lookup_value,
        create_unknown_user,
        idp_entityid,
        attributes,
        attribute_mapping,
        request,
    ):
        """Return (the user to sign in or None, False): provisioning decides and records."""
        name_id = getattr(self, "name_id", None)
        try:
            identity = identity_from_saml(
                name_id=getattr(name_id, "text", "") or "",
                name_id_format=getattr(name_id, "format", "") or "",
                attributes=attributes,
                idp=idp_entityid,
                preset=preset_for(idp_entityid),
            )
        except ClaimsError as exc:
            # Recorded once, by the ACS failure view.
            setattr(request, _CLAIMS_ERROR, str(exc))
            return None, False
        outcome = provision_user(identity=identity, request=request)
        remember_outcome(request, outcome)
        return outcome.user, False


# --- the views ------------------------------------------------------------------------


_GENERIC_VALIDATION_FAILURE = "the response failed validation (destination, issuer or status)"


def reason_for(exception: BaseException | None) -> str:
    """Return the audit reason for an exception raised while validating a response."""
    message = str(exception or "")
    match exception:
        case ResponseLifetimeExceed():
            return "the response has expired"
        case ToEarly():
            return "the response is not valid yet"
        case UnsolicitedResponse():
            return "unsolicited response: it answers no sign-in started here, or was already used"
        case SignatureError() | IncorrectlySigned() | MissingKey() | SigverError():
            return "the signature is missing or invalid"
        case StatusError():
            return f"the IdP refused the sign-in ({type(exception).__name__})"
        case RequestVersionTooLow() | RequestVersionTooHigh():
            return "unsupported SAML version"
        case DefusedXmlException():
            return "the response contains a DTD or entity declarations"
        case binascii.Error() | UnicodeDecodeError():
            return "the response is not valid base64"
        case ParseError():
            return "the response is not XML"
        case VerificationError():
            return f"the response failed validation ({message})"
    if "AudienceRestrictions" in message:
        return "the response is meant for another service provider (audience)"
    if "Signature missing" in message or "signature" in message.lower():
        return "the signature is missing or invalid"
    if "not well-formed" in message or "syntax error" in message:
        return "the response is not XML"
    if "Unknown SAML2 error" in message:
        return _GENERIC_VALIDATION_FAILURE
    return "the response could not be validated"


def _claimed_issuer(request: HttpRequest) -> str:
    """Return the Issuer a refused response claims (unverified), for the audit trail."""
    try:
        xml = base64.b64decode(request.POST.get("SAMLResponse", ""), validate=False)
        root = parse_xml_safely(xml, forbid_dtd=True)
    except Exception:
        return ""
    issuer = root.find("{urn:oasis:names:tc:SAML:2.0:assertion}Issuer")
    return (issuer.text or "").strip()[:500] if issuer is not None else ""


class AssertionConsumerServiceView(Saml2AcsView):
    """djangosaml2's ACS, with size limits, a replay cache and the portal's refusal pages."""

    refusal_reason = ""

    def post(self, request, *args, **kwargs):
        try:
            saml_response = request.POST.get("SAMLResponse", "")
        except RequestDataTooBig:
            return self.refuse(request, "the response is too large", status=413)
        if not saml_response:
            return self.refuse(request, "the post carries no SAMLResponse", status=400)
        if len(saml_response) > settings.SAML_MAX_RESPONSE_BYTES:
            return self.refuse(request, "the response is too large", status=413)
        try:
            base64.b64decode(saml_response, validate=True)
        except binascii.Error:
            # pysaml2 reports this as "no response" without saying why.
            return self.refuse(request, "the response is not valid base64", status=400)
        return super().post(request, *args, **kwargs)

    def custom_validation(self, response) -> None:
        """Refuse a response pysaml2 left without an assertion, and an assertion ID seen
        before, on any server (the table is shared)."""
        assertion = response.assertion
        if assertion is None:
            # pysaml2 7.5.5 returns a failed Destination/status/issue-time check as a
            # response without assertion; djangosaml2 would then fail with a 500.
            self.refusal_reason = _GENERIC_VALIDATION_FAILURE
            raise SuspiciousOperation(self.refusal_reason)
        if not remember_assertion(
            idp=response.issuer(), assertion_id=assertion.id, expires_at=_expiry(assertion)
        ):
            self.refusal_reason = "replayed response: this assertion was already used"
            raise SuspiciousOperation(self.refusal_reason)

    def handle_acs_failure(self, request, exception=None, status=403, **kwargs):
        """Show the refusal page; record the refusal unless provisioning already did."""
        outcome = outcome_of(request)
        if outcome is not None:
            return response_for_outcome(request, outcome)
        reason = (
            getattr(request, _CLAIMS_ERROR, "")
            or self.refusal_reason
            or (
                "no username in the response"
                if isinstance(exception, PermissionDenied)
                else reason_for(exception)
            )
        )
        issuer = (kwargs.get("session_info") or {}).get("issuer", "")
        return self.refuse(request, reason, status=status, idp=issuer)

    def refuse(self, request, reason: str, *, status: int, idp: str = "") -> HttpResponse:
        """Record Failed Login / Invalid response with `reason` and show the refusal page.

        `idp` is the verified issuer when known; otherwise the Issuer the response
        claims is kept in the event's detail, marked as unverified.
        """
        detail = {}
        if not idp and status != 413:
            claimed = _claimed_issuer(request)
            if claimed:
                detail["claimed_issuer"] = claimed
        event = refuse_invalid_response(
            reason=reason, request=request, idp=idp, protocol=SAML2, detail=detail
        )
        return refusal_response(request, kind="invalid", reference=event.pk, status=status)


def remember_assertion(*, idp: str, assertion_id: str, expires_at: dt.datetime) -> bool:
    """Record an assertion as consumed; return False when it was consumed before.

    The unique constraint decides, so two servers given the same assertion at the
    same moment accept it once. Expired entries are removed on the way.
    """
    ConsumedAssertion.objects.filter(expires_at__lt=timezone.now()).delete()
    try:
        with transaction.atomic():
            ConsumedAssertion.objects.create(
                idp=idp[:500], assertion_id=assertion_id[:256], expires_at=expires_at
            )
    except IntegrityError:
        return False
    return True


def _expiry(assertion) -> dt.datetime:
    """Return until when an assertion could be accepted (its latest NotOnOrAfter + skew)."""
    times = []
    if assertion.conditions is not None and assertion.conditions.not_on_or_after:
        times.append(assertion.conditions.not_on_or_after)
    for confirmation in assertion.subject.subject_confirmation:
        data = confirmation.subject_confirmation_data
        if data is not None and data.not_on_or_after:
            times.append(data.not_on_or_after)
    skew = dt.timedelta(seconds=int(settings.SAML_CONFIG.get("accepted_time_diff") or 0))
    if not times:
        return timezone.now() + dt.timedelta(days=1)
    latest = max(dt.datetime(*str_to_time(t)[:6], tzinfo=dt.UTC) for t in times)
    return latest + skew


class LoginView(Saml2LoginView):
    """Start an SP-initiated sign-in: `?idp=<entity ID>` and a safe `?next=` path.

    With several IdPs and none chosen, send the person to the portal's chooser.
    `next` must be a path on this site (SAML_ALLOWED_HOSTS is empty).
    """

    def get(self, request, *args, **kwargs):
        idps = configured_idps()
        if not idps:
            raise Http404("SAML sign-in is not configured")
        if len(idps) > 1 and not request.GET.get("idp") and not request.user.is_authenticated:
            query = {"next": request.GET["next"]} if request.GET.get("next") else {}
            url = reverse("portal:login")
            return redirect(f"{url}?{urlencode(query)}" if query else url)
        return super().get(request, *args, **kwargs)

    def unknown_idp(self, request, idp):
        raise Http404("Unknown identity provider")
