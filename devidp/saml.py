"""A development SAML 2.0 Identity Provider. DEVELOPMENT ONLY.

Reading guide:
- `generate_key_pair` makes a self-signed RSA key pair (the portal's SP key for
  development is made the same way);
- `IdentityProvider` is pysaml2's IdP (`saml2.server.Server`): it publishes metadata,
  reads AuthnRequests and issues real signed responses carrying exactly the NameID and
  attributes it is given. The test suite's IdPs (tests/saml_idp.py) use it too;
- `STYLES` say how each IdP product sends a person (claim URIs, friendly names,
  NameFormat, NameID format); `SAMPLE_PEOPLE` is who the login page offers;
- `make_app` is a small WSGI app (metadata, login page, SSO endpoints),
  `run_in_thread` serves it on an ephemeral loopback port, `main` is the command:

      python -m devidp.saml --port 8001 [--sp-metadata URL-or-file]

It signs in anyone who clicks a name, so it binds 127.0.0.1 only, says DEVELOPMENT
ONLY on every page, and marks itself twice so that a portal with DJANGO_DEBUG off
refuses to trust it: its metadata carries the development-only entity attribute
and its certificate's subject says DEVELOPMENT ONLY (see identity/saml.py).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import datetime as dt
import html
import os
import threading
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.assertion import Policy
from saml2.attribute_converter import AttributeConverter
from saml2.config import IdPConfig
from saml2.metadata import entity_descriptor
from saml2.s_utils import factory
from saml2.saml import (
    AUTHN_PASSWORD_PROTECTED,
    NAME_FORMAT_BASIC,
    NAME_FORMAT_URI,
    NAMEID_FORMAT_EMAILADDRESS,
    NAMEID_FORMAT_PERSISTENT,
    NAMEID_FORMAT_TRANSIENT,
    NAMEID_FORMAT_UNSPECIFIED,
    Attribute,
    NameID,
)
from saml2.samlp import response_from_string
from saml2.server import Server
from saml2.sigver import get_xmlsec_binary, pre_signature_part
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

# The two marks a portal in production looks for (identity/saml.py reads them from here).
DEVELOPMENT_ENTITY_ATTRIBUTE = "urn:workportal:deployment"
DEVELOPMENT_ENTITY_VALUE = "development-only"
DEVELOPMENT_CERT_MARK = "DEVELOPMENT ONLY"

NAMEID_FORMAT_WINDOWS = "urn:oasis:names:tc:SAML:1.1:nameid-format:WindowsDomainQualifiedName"
WS_CLAIMS = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/"
MS_CLAIMS = "http://schemas.microsoft.com/identity/claims/"


# --- key pairs -----------------------------------------------------------------


@dataclass(frozen=True)
class KeyPair:
    key_file: Path
    cert_file: Path

    @property
    def cert_pem(self) -> str:
        return self.cert_file.read_text()


def generate_key_pair(
    directory: Path | str, *, common_name: str, organisation: str = "Work Portal", stem: str = ""
) -> KeyPair:
    """Write a new RSA-2048 key and a self-signed certificate into `directory`.

    The key file is readable by its owner only. Return the two paths.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    stem = stem or common_name.lower().replace(" ", "-")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64]),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation[:64]),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )
    pair = KeyPair(directory / f"{stem}.key", directory / f"{stem}.crt")
    pair.key_file.touch(mode=0o600, exist_ok=True)
    pair.key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    pair.cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return pair


def load_or_generate_key_pair(directory: Path | str, *, common_name: str, stem: str) -> KeyPair:
    """Return the key pair in `directory`, generating it the first time."""
    pair = KeyPair(Path(directory) / f"{stem}.key", Path(directory) / f"{stem}.crt")
    if pair.key_file.exists() and pair.cert_file.exists():
        return pair
    return generate_key_pair(directory, common_name=common_name, stem=stem)


# --- what a response carries ---------------------------------------------------


@dataclass(frozen=True)
class Subject:
    """The NameID and attributes one response carries, exactly as sent."""

    name_id: str
    name_id_format: str = NAMEID_FORMAT_UNSPECIFIED
    attributes: Mapping[str, list[str]] = field(default_factory=dict)
    # NameFormat of every attribute; None sends none (as Entra ID does).
    attribute_name_format: str | None = None


@dataclass(frozen=True)
class Person:
    upn: str
    given_name: str = ""
    surname: str = ""
    email: str = ""
    note: str = ""

    @property
    def display_name(self) -> str:
        return " ".join(p for p in (self.given_name, self.surname) if p)


def _opaque(person: Person) -> str:
    # Stable per person, meaningless as a username: what transient/persistent IDs look like.
    return "_" + base64.b32encode(person.upn.lower().encode()).decode().rstrip("=").lower()[:24]


def _entra(person: Person) -> Subject:
    # Entra ID's default claims: NameID = UPN (emailAddress), no NameFormat.
    return Subject(
        name_id=person.upn,
        name_id_format=NAMEID_FORMAT_EMAILADDRESS,
        attributes={
            MS_CLAIMS + "tenantid": ["7f3c9a52-1d2e-4a8b-9c61-3b2f0e4d5a6c"],
            MS_CLAIMS + "objectidentifier": ["0b8e3f6a-22c4-4d1e-8f4b-6a1c9d2e7b30"],
            MS_CLAIMS + "displayname": [person.display_name],
            WS_CLAIMS + "givenname": [person.given_name],
            WS_CLAIMS + "surname": [person.surname],
            WS_CLAIMS + "emailaddress": [person.email or person.upn],
            WS_CLAIMS + "name": [person.upn],
        },
    )


def _adfs(person: Person) -> Subject:
    # AD FS claim rules: an opaque NameID and the UPN claim, with the URI NameFormat.
    return Subject(
        name_id=_opaque(person),
        name_id_format=NAMEID_FORMAT_TRANSIENT,
        attributes={
            WS_CLAIMS + "upn": [person.upn],
            WS_CLAIMS + "emailaddress": [person.email] if person.email else [],
            WS_CLAIMS + "givenname": [person.given_name],
            WS_CLAIMS + "surname": [person.surname],
        },
        attribute_name_format=NAME_FORMAT_URI,
    )


def _okta(person: Person) -> Subject:
    # Okta: NameID = the Okta username, plain attribute names, basic NameFormat.
    return Subject(
        name_id=person.upn,
        name_id_format=NAMEID_FORMAT_EMAILADDRESS,
        attributes={
            "email": [person.email or person.upn],
            "firstName": [person.given_name],
            "lastName": [person.surname],
        },
        attribute_name_format=NAME_FORMAT_BASIC,
    )


def _pingfederate(person: Person) -> Subject:
    return Subject(
        name_id=_opaque(person),
        name_id_format=NAMEID_FORMAT_PERSISTENT,
        attributes={
            "userPrincipalName": [person.upn],
            "mail": [person.email or person.upn],
            "givenName": [person.given_name],
            "sn": [person.surname],
        },
        attribute_name_format=NAME_FORMAT_BASIC,
    )


def _netiq(person: Person) -> Subject:
    # NetIQ Access Manager releasing LDAP attributes by OID.
    return Subject(
        name_id=_opaque(person),
        name_id_format=NAMEID_FORMAT_PERSISTENT,
        attributes={
            "urn:oid:1.2.840.113556.1.4.656": [person.upn],
            "urn:oid:0.9.2342.19200300.100.1.3": [person.email or person.upn],
            "urn:oid:2.5.4.42": [person.given_name],
            "urn:oid:2.5.4.4": [person.surname],
        },
        attribute_name_format=NAME_FORMAT_URI,
    )


def _siteminder(person: Person) -> Subject:
    return Subject(
        name_id=person.upn,
        name_id_format=NAMEID_FORMAT_UNSPECIFIED,
        attributes={"UPN": [person.upn], "mail": [person.email or person.upn]},
    )


def _name_id_only(person: Person) -> Subject:
    return Subject(name_id=person.upn, name_id_format=NAMEID_FORMAT_EMAILADDRESS)


STYLES: dict[str, tuple[str, Callable[[Person], Subject]]] = {
    "entra": ("Entra ID (default claims)", _entra),
    "adfs": ("AD FS (claim rules, opaque NameID)", _adfs),
    "okta": ("Okta (plain attribute names)", _okta),
    "pingfederate": ("PingFederate", _pingfederate),
    "netiq": ("NetIQ Access Manager (LDAP OIDs)", _netiq),
    "siteminder": ("SiteMinder", _siteminder),
    "nameid": ("NameID only", _name_id_only),
}


def subject_for(person: Person, style: str) -> Subject:
    """Return what an IdP of `style` sends for `person`."""
    return STYLES[style][1](person)


SAMPLE_PEOPLE: tuple[tuple[str, Person], ...] = (
    ("entra", Person("adele.vance@contoso.com", "Adele", "Vance")),
    ("adfs", Person("megan.bowen@contoso.com", "Megan", "Bowen", email="megan@contoso.com")),
    ("okta", Person("lee.gu@fabrikam.com", "Lee", "Gu")),
    ("nameid", Person("alex.wilber@contoso.com")),
    (
        "entra",
        Person(
            "nestor.wilke@contoso.com",
            "Nestor",
            "Wilke",
            note="a new hire with no account: Just-in-Time provisioning creates it",
        ),
    ),
)


# --- the IdP -------------------------------------------------------------------


class _VerbatimAttributes(AttributeConverter):
    """Send attribute names exactly as given, with the NameFormat of the current response.

    pysaml2's own converters rename attributes to its maps; an IdP under test must
    send what the real product sends. pysaml2 picks a converter by the policy's
    name format, so this one claims the URI format and emits `emit_format`.
    """

    def __init__(self) -> None:
        super().__init__(NAME_FORMAT_URI)
        self.emit_format: str | None = None

    def to_(self, attrvals):
        return [
            factory(Attribute, name=name, name_format=self.emit_format, attribute_value=_values(v))
            for name, v in attrvals.items()
            if v
        ]


def _values(values: Iterable[str]):
    from saml2.s_utils import do_ava

    return do_ava(list(values))


@dataclass(frozen=True)
class AuthnRequestInfo:
    request_id: str
    sp_entity_id: str
    destination: str
    relay_state: str = ""


class IdentityProvider:
    """pysaml2's IdP with one key pair, issuing real signed responses.

    `development=True` adds the development-only marks to the metadata (the key
    pair's certificate should carry the other mark: see `development_idp`).
    Response creation is serialised: the IdP's converter and policy are per response.
    """

    def __init__(
        self,
        *,
        entity_id: str,
        base_url: str,
        key_pair: KeyPair,
        sp_metadata: Iterable[str] = (),
        development: bool = False,
        display_name: str = "",
    ) -> None:
        self.entity_id = entity_id
        self.base_url = base_url.rstrip("/")
        self.key_pair = key_pair
        self._lock = threading.Lock()
        self._converter = _VerbatimAttributes()
        settings = {
            "entityid": entity_id,
            "xmlsec_binary": get_xmlsec_binary(),
            "key_file": str(key_pair.key_file),
            "cert_file": str(key_pair.cert_file),
            "metadata": {"inline": list(sp_metadata)},
            "allow_unknown_attributes": True,
            "service": {
                "idp": {
                    "name": display_name or entity_id,
                    "endpoints": {
                        "single_sign_on_service": [
                            (f"{self.base_url}/sso/redirect", BINDING_HTTP_REDIRECT),
                            (f"{self.base_url}/sso/post", BINDING_HTTP_POST),
                        ],
                    },
                    "name_id_format": [
                        NAMEID_FORMAT_EMAILADDRESS,
                        NAMEID_FORMAT_UNSPECIFIED,
                        NAMEID_FORMAT_TRANSIENT,
                        NAMEID_FORMAT_PERSISTENT,
                    ],
                    "want_authn_requests_signed": False,
                },
            },
        }
        if display_name:
            settings["organization"] = {
                "name": display_name,
                "display_name": display_name,
                "url": self.base_url,
            }
        if development:
            settings["entity_attributes"] = [
                {"name": DEVELOPMENT_ENTITY_ATTRIBUTE, "values": [DEVELOPMENT_ENTITY_VALUE]}
            ]
        config = IdPConfig()
        config.load(settings)
        config.attribute_converters = [self._converter]
        self.server = Server(config=config)

    def metadata_xml(self) -> str:
        """Return this IdP's metadata (unsigned EntityDescriptor)."""
        return str(entity_descriptor(self.server.config))

    def add_sp_metadata(self, xml: str) -> None:
        """Trust one more SP (its ACS and entity ID) from its metadata."""
        with self._lock:
            self.server.metadata.load("inline", xml)

    def read_authn_request(
        self, saml_request: str, binding: str = BINDING_HTTP_REDIRECT, relay_state: str = ""
    ) -> AuthnRequestInfo:
        """Return who asks (SP entity ID), where to answer (ACS) and the request ID."""
        with self._lock:
            request = self.server.parse_authn_request(saml_request, binding)
            args = self.server.response_args(request.message, [BINDING_HTTP_POST])
        return AuthnRequestInfo(
            request_id=request.message.id,
            sp_entity_id=args["sp_entity_id"],
            destination=args["destination"],
            relay_state=relay_state,
        )

    def response_xml(
        self,
        subject: Subject,
        *,
        sp_entity_id: str,
        destination: str,
        in_response_to: str | None = None,
        audience: str | None = None,
        sign_response: bool = True,
        sign_assertion: bool = True,
        lifetime: Mapping[str, int] | None = None,
        before_signing: Callable[[str], str] | None = None,
    ) -> str:
        """Return a signed SAML Response for `subject`, as XML text.

        `audience` defaults to `sp_entity_id`; `lifetime` (timedelta keyword
        arguments) to five minutes. `before_signing` rewrites the unsigned XML
        (to move its times, change its audience...) before it is signed, so the
        signatures are genuine over the rewritten document.
        """
        name_id = NameID(format=subject.name_id_format, text=subject.name_id)
        identity = {name: list(values) for name, values in subject.attributes.items() if values}
        sign_now = before_signing is None
        with self._lock:
            self._converter.emit_format = subject.attribute_name_format
            self.server.config.setattr(
                "idp",
                "policy",
                Policy(
                    {
                        "default": {
                            "lifetime": dict(lifetime or {"minutes": 5}),
                            "name_form": NAME_FORMAT_URI,
                        }
                    },
                    self.server.metadata,
                ),
            )
            response = self.server.create_authn_response(
                identity=identity,
                in_response_to=in_response_to,
                destination=destination,
                sp_entity_id=sp_entity_id,
                name_id=name_id,
                authn={"class_ref": AUTHN_PASSWORD_PROTECTED, "authn_auth": self.entity_id},
                sign_response=sign_response and sign_now,
                sign_assertion=sign_assertion and sign_now,
                sign_alg=SIG_RSA_SHA256,
                digest_alg=DIGEST_SHA256,
            )
        xml = str(response)
        if audience:
            xml = xml.replace(f">{sp_entity_id}</", f">{audience}</")
            sign_now = False
            before_signing = before_signing or (lambda text: text)
        if sign_now:
            return xml
        return self.sign(
            before_signing(xml), sign_response=sign_response, sign_assertion=sign_assertion
        )

    def sign(self, xml: str, *, sign_response: bool = True, sign_assertion: bool = True) -> str:
        """Sign an unsigned Response's assertion and/or the Response itself, with this IdP's key."""
        response = response_from_string(xml)
        security = self.server.sec
        if sign_assertion:
            for assertion in response.assertion:
                assertion.signature = pre_signature_part(
                    assertion.id, security.my_cert, 1, DIGEST_SHA256, SIG_RSA_SHA256
                )
        if sign_response:
            response.signature = pre_signature_part(
                response.id, security.my_cert, 2, DIGEST_SHA256, SIG_RSA_SHA256
            )
        signed = str(response)
        if sign_assertion:
            for assertion in response.assertion:
                signed = security.sign_statement(
                    signed, "urn:oasis:names:tc:SAML:2.0:assertion:Assertion", node_id=assertion.id
                )
        if sign_response:
            signed = security.sign_statement(
                signed, "urn:oasis:names:tc:SAML:2.0:protocol:Response", node_id=response.id
            )
        return signed if isinstance(signed, str) else signed.decode()


def encode(xml: str) -> str:
    """Return a Response as the HTTP-POST binding carries it (base64)."""
    return base64.b64encode(xml.encode()).decode()


def development_idp(*, base_url: str, state_dir: Path, sp_metadata: Iterable[str] = ()):
    """Return the development IdP, its key pair made once under `state_dir`."""
    key_pair = load_or_generate_key_pair(
        state_dir,
        common_name=f"Work Portal development IdP - {DEVELOPMENT_CERT_MARK}",
        stem="devidp-saml",
    )
    return IdentityProvider(
        entity_id=f"{base_url.rstrip('/')}/metadata",
        base_url=base_url,
        key_pair=key_pair,
        sp_metadata=sp_metadata,
        development=True,
        display_name="Development IdP (SAML)",
    )


# --- the web app ---------------------------------------------------------------

_BANNER = (
    '<p style="background:#b00020;color:#fff;padding:.6em;font-weight:bold">'
    "DEVELOPMENT ONLY: this identity provider signs in anyone who clicks a name. "
    "Never use it with real accounts.</p>"
)


def _page(title: str, body: str) -> bytes:
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}'
        f" · DEVELOPMENT ONLY</title></head><body>{_BANNER}<h1>{html.escape(title)}</h1>"
        f"{body}</body></html>"
    ).encode()


def _read_metadata(source: str) -> str:
    if source.startswith(("http://", "https://")):
        with urllib.request.urlopen(source, timeout=10) as answer:  # noqa: S310 (http(s) only)
            return answer.read().decode()
    return Path(source).read_text()


def make_app(idp: IdentityProvider, *, sp_metadata: str = ""):
    """Return the WSGI app: /metadata, the login page at /sso/redirect, /sso/login.

    `sp_metadata` (URL or file) is read at the first sign-in, so the IdP can start
    before the portal.
    """
    loaded: list[str] = []

    def ensure_sp() -> None:
        if sp_metadata and not loaded:
            idp.add_sp_metadata(_read_metadata(sp_metadata))
            loaded.append(sp_metadata)

    def app(environ, start_response):
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path in ("/metadata", "/metadata/"):
            start_response("200 OK", [("Content-Type", "text/xml; charset=utf-8")])
            return [idp.metadata_xml().encode()]
        if path in ("/", ""):
            body = (
                f"<p>Entity ID: <code>{html.escape(idp.entity_id)}</code></p>"
                '<p><a href="/metadata">Metadata</a>. Start at the Work Portal to sign in.</p>'
            )
            return _html(start_response, "200 OK", _page("Development SAML IdP", body))
        if path in ("/sso/redirect", "/sso/post"):
            if method == "POST":
                params = _form(environ)
                binding = BINDING_HTTP_POST
            else:
                params = parse_qs(environ.get("QUERY_STRING", ""))
                binding = BINDING_HTTP_REDIRECT
            saml_request = (params.get("SAMLRequest") or [""])[0]
            relay_state = (params.get("RelayState") or [""])[0]
            try:
                ensure_sp()
                request = idp.read_authn_request(saml_request, binding, relay_state)
            except Exception as exc:  # show the developer what went wrong
                body = f"<p>Cannot read the sign-in request: {html.escape(str(exc))}</p>"
                return _html(start_response, "400 Bad Request", _page("Bad request", body))
            return _html(start_response, "200 OK", _login_page(request))
        if path == "/sso/login" and method == "POST":
            params = _form(environ)
            try:
                index = int((params.get("person") or ["-1"])[0])
                style, person = SAMPLE_PEOPLE[index]
                request = AuthnRequestInfo(
                    request_id=params["request_id"][0],
                    sp_entity_id=params["sp_entity_id"][0],
                    destination=params["destination"][0],
                    relay_state=(params.get("relay_state") or [""])[0],
                )
            except (KeyError, ValueError, IndexError):
                return _html(start_response, "400 Bad Request", _page("Bad request", ""))
            xml = idp.response_xml(
                subject_for(person, style),
                sp_entity_id=request.sp_entity_id,
                destination=request.destination,
                in_response_to=request.request_id,
            )
            return _html(start_response, "200 OK", _post_form(request, xml))
        return _html(start_response, "404 Not Found", _page("Not found", ""))

    return app


def _html(start_response, status: str, body: bytes):
    start_response(
        status,
        [("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store")],
    )
    return [body]


def _form(environ) -> dict[str, list[str]]:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    return parse_qs(environ["wsgi.input"].read(min(length, 1_000_000)).decode())


def _hidden(name: str, value: str) -> str:
    return f'<input type="hidden" name="{name}" value="{html.escape(value)}">'


def _login_page(request: AuthnRequestInfo) -> bytes:
    rows = []
    for index, (style, person) in enumerate(SAMPLE_PEOPLE):
        label = person.display_name or person.upn
        note = f" <em>({html.escape(person.note)})</em>" if person.note else ""
        rows.append(
            f'<li><button type="submit" name="person" value="{index}">{html.escape(label)}'
            f"</button> <code>{html.escape(person.upn)}</code>, "
            f"{html.escape(STYLES[style][0])}{note}</li>"
        )
    body = (
        f"<p>{html.escape(request.sp_entity_id)} asks who you are.</p>"
        '<form method="post" action="/sso/login">'
        + _hidden("request_id", request.request_id)
        + _hidden("sp_entity_id", request.sp_entity_id)
        + _hidden("destination", request.destination)
        + _hidden("relay_state", request.relay_state)
        + f"<ul>{''.join(rows)}</ul></form>"
    )
    return _page("Sign in as", body)


def _post_form(request: AuthnRequestInfo, xml: str) -> bytes:
    body = (
        f'<form method="post" action="{html.escape(request.destination)}" id="saml">'
        + _hidden("SAMLResponse", encode(xml))
        + (_hidden("RelayState", request.relay_state) if request.relay_state else "")
        + '<button type="submit">Continue to the Work Portal</button></form>'
        "<script>document.getElementById('saml').submit()</script>"
    )
    return _page("Signing you in", body)


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 (the stdlib's name)
        if os.environ.get("DEVIDP_LOG"):
            super().log_message(format, *args)


class _ThreadingWSGIServer(WSGIServer):
    daemon_threads = True

    def process_request(self, request, client_address):
        thread = threading.Thread(
            target=self._serve_one, args=(request, client_address), daemon=True
        )
        thread.start()

    def _serve_one(self, request, client_address):
        try:
            self.finish_request(request, client_address)
        finally:
            self.shutdown_request(request)


def _not_ready(environ, start_response):
    start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
    return [b"starting"]


def run_in_thread(
    *, sp_metadata: str = "", state_dir: Path | str | None = None, port: int = 0
) -> tuple[str, Callable[[], None]]:
    """Serve the development IdP on 127.0.0.1 (an ephemeral port by default) in a thread.

    Return its base URL and a function that stops it. Its key pair is kept in
    `state_dir` (a temporary directory when None).
    """
    import tempfile

    # Bind first: the entity ID and endpoints need the port the system chose.
    server = make_server("127.0.0.1", port, _not_ready, _ThreadingWSGIServer, _QuietHandler)
    base_url = f"http://127.0.0.1:{server.server_port}"
    directory = Path(state_dir) if state_dir else Path(tempfile.mkdtemp(prefix="devidp-"))
    server.set_app(
        make_app(development_idp(base_url=base_url, state_dir=directory), sp_metadata=sp_metadata)
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()

    return base_url, stop


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m devidp.saml",
        description="Development SAML IdP (DEVELOPMENT ONLY; binds 127.0.0.1).",
    )
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument(
        "--sp-metadata",
        default="http://127.0.0.1:8000/saml2/metadata/",
        help="the portal's SP metadata, a URL or a file (read at the first sign-in)",
    )
    parser.add_argument(
        "--state-dir",
        default=str(Path(__file__).resolve().parent.parent / "var" / "devidp"),
        help="where the IdP's key pair is kept (outside git)",
    )
    args = parser.parse_args(argv)
    base_url, _ = run_in_thread(
        sp_metadata=args.sp_metadata, state_dir=args.state_dir, port=args.port
    )
    print(
        f"Development SAML IdP (DEVELOPMENT ONLY) at {base_url}; metadata at {base_url}/metadata",
        flush=True,
    )
    with contextlib.suppress(KeyboardInterrupt):
        threading.Event().wait()


if __name__ == "__main__":
    main()
