"""Test identity providers: pysaml2's IdP with real key pairs, metadata and signed responses.

Reading guide: `TestIdP` is one IdP (its own generated RSA key pair, its metadata
written to a file the SP loads) built on `devidp.saml.IdentityProvider`; its
`response_xml` / `response` return real signed SAML Responses carrying exactly the
`Subject` given (NameID, attributes, NameFormat), in any IdP's style:
`subject_for(Person(...), "entra" | "adfs" | "okta" | "pingfederate" | "netiq" |
"siteminder" | "nameid")`. `sp_saml_config` points the portal's SAML_CONFIG at a
set of IdPs; `start_login` and `post_response` drive the portal's SAML views with
Django's test client.

Hostile cases build on the same pieces: `response_xml` gives the signed XML to
tamper with; `TestIdP(..., entity_id=same, key_pair=other)` signs as the same IdP
with a key its metadata does not hold; `encode` turns XML into the posted form.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import hashlib
import re
import zlib
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from devidp.saml import (
    STYLES,
    AuthnRequestInfo,
    IdentityProvider,
    KeyPair,
    Person,
    Subject,
    encode,
    generate_key_pair,
    subject_for,
)

__all__ = [
    "STYLES",
    "KeyPair",
    "Person",
    "Subject",
    "TestIdP",
    "encode",
    "generate_key_pair",
    "shift_times",
    "post_response",
    "sp_saml_config",
    "start_login",
    "subject_for",
]


class TestIdP:
    """One test IdP: its key pair, metadata file and pysaml2 IdP."""

    __test__ = False  # not a pytest test class

    def __init__(
        self,
        directory: Path,
        *,
        entity_id: str = "https://idp.contoso.test/",
        key_pair: KeyPair | None = None,
        display_name: str = "",
        development: bool = False,
        sp_metadata: str = "",
    ) -> None:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        stem = "idp-" + hashlib.sha256(entity_id.encode()).hexdigest()[:12]
        self.key_pair = key_pair or generate_key_pair(directory, common_name=entity_id, stem=stem)
        self.entity_id = entity_id
        self.idp = IdentityProvider(
            entity_id=entity_id,
            base_url=entity_id.rstrip("/") + "/saml",
            key_pair=self.key_pair,
            sp_metadata=[sp_metadata] if sp_metadata else [],
            development=development,
            display_name=display_name,
        )
        self.metadata_file = directory / f"{stem}-metadata.xml"
        self.metadata_file.write_text(self.idp.metadata_xml())

    def trust_sp(self, sp_metadata_xml: str) -> None:
        """Let this IdP answer the SP described by `sp_metadata_xml`."""
        self.idp.add_sp_metadata(sp_metadata_xml)

    def read_request(self, location: str) -> AuthnRequestInfo:
        """Return the AuthnRequest carried by an HTTP-Redirect URL (the SP's redirect)."""
        query = parse_qs(urlsplit(location).query)
        return self.idp.read_authn_request(
            query["SAMLRequest"][0], relay_state=(query.get("RelayState") or [""])[0]
        )

    def response_xml(
        self,
        subject: Subject,
        *,
        sp_entity_id: str,
        acs_url: str,
        in_response_to: str | None = None,
        **options,
    ) -> str:
        """Return a real signed Response as XML text (see IdentityProvider.response_xml)."""
        return self.idp.response_xml(
            subject,
            sp_entity_id=sp_entity_id,
            destination=acs_url,
            in_response_to=in_response_to,
            **options,
        )

    def response(self, subject: Subject, **kwargs) -> str:
        """Return a real signed Response as the HTTP-POST binding carries it."""
        return encode(self.response_xml(subject, **kwargs))


_XML_TIMES = re.compile(
    r'(IssueInstant|NotBefore|NotOnOrAfter|AuthnInstant|SessionNotOnOrAfter)="([^"]+)"'
)


def shift_times(delta: dt.timedelta):
    """Return a `before_signing` rewrite moving every time in a Response by `delta`."""

    def rewrite(xml: str) -> str:
        def moved(match: re.Match) -> str:
            when = dt.datetime.strptime(match.group(2)[:19], "%Y-%m-%dT%H:%M:%S") + delta
            return f'{match.group(1)}="{when.strftime("%Y-%m-%dT%H:%M:%SZ")}"'

        return _XML_TIMES.sub(moved, xml)

    return rewrite


def sp_saml_config(
    base: dict,
    *,
    idps: list[TestIdP] = (),
    sp_key_pair: KeyPair,
    metadata_urls: list[str] = (),
    public_url: str = "",
    **sp_options,
) -> dict:
    """Return a copy of the portal's SAML_CONFIG trusting `idps`, with the SP key pair.

    `metadata_urls` adds IdPs by metadata URL (a live IdP); `public_url` moves the SP's
    entity ID and endpoints to another base URL (a live server); `sp_options`
    override entries of `service.sp` (e.g. allow_unsolicited=True).
    """
    config = copy.deepcopy(base)
    config["metadata"] = {
        "local": [str(idp.metadata_file) for idp in idps],
        "remote": [{"url": url} for url in metadata_urls],
    }
    config["key_file"] = str(sp_key_pair.key_file)
    config["cert_file"] = str(sp_key_pair.cert_file)
    config["encryption_keypairs"] = [
        {"key_file": str(sp_key_pair.key_file), "cert_file": str(sp_key_pair.cert_file)}
    ]
    config["service"]["sp"].update(sp_options)
    if public_url:
        old = config["entityid"].removesuffix("/saml2/metadata/")
        config["entityid"] = config["entityid"].replace(old, public_url.rstrip("/"), 1)
        endpoints = config["service"]["sp"]["endpoints"]
        for name, services in endpoints.items():
            endpoints[name] = [
                (location.replace(old, public_url.rstrip("/"), 1), binding)
                for location, binding in services
            ]
    return config


def start_login(client, idp: TestIdP, *, next_path: str = "") -> AuthnRequestInfo:
    """GET /saml2/login/ for `idp` and return the AuthnRequest the IdP received."""
    query = {"idp": idp.entity_id}
    if next_path:
        query["next"] = next_path
    answer = client.get("/saml2/login/", query)
    assert answer.status_code == 302, answer.content[:500]
    return idp.read_request(answer["Location"])


def post_response(client, saml_response: str, *, relay_state: str = ""):
    """POST a SAMLResponse to the ACS as the browser would."""
    data = {"SAMLResponse": saml_response}
    if relay_state:
        data["RelayState"] = relay_state
    return client.post("/saml2/acs/", data)


def inflate_redirect_request(location: str) -> str:
    """Return the AuthnRequest XML inside an HTTP-Redirect URL."""
    raw = parse_qs(urlsplit(location).query)["SAMLRequest"][0]
    return zlib.decompress(base64.b64decode(raw), -15).decode()
