"""Real signed SAML responses, and the hostile corpus derived from them.

pysaml2 acts as the IdP (tests/saml_idp.py's `TestIdP`, real key pairs), so every
"valid" response is signed by real code; every attack is derived from one of them by
moving, copying or editing nodes, never by writing "signed" XML by hand.

`Federation` holds one IdP plus an impostor (same entity ID, another key) and answers
one SP: by default a bare pysaml2 SP (`sp_client`, for the three SP configurations), or
the portal itself (`for_sp`). `CORPUS` lists the cases with the verdict every verifier
must give in every SP configuration.
"""

from __future__ import annotations

import base64
import copy
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import xmlsec
from lxml import etree
from saml2 import BINDING_HTTP_POST
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.metadata import entity_descriptor
from saml2.saml import NAMEID_FORMAT_EMAILADDRESS

from tests.saml_idp import KeyPair, Subject, TestIdP, generate_key_pair

SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
DS = "http://www.w3.org/2000/09/xmldsig#"
NS = {"samlp": SAMLP, "saml": SAML, "ds": DS}

IDP_ENTITY_ID = "https://idp.example.test/"
SP_ENTITY_ID = "https://sp.example.test/saml2/metadata/"
SP_ACS_URL = "https://sp.example.test/saml2/acs/"

# The three SP configurations the corpus runs against.
SP_PROFILES = {
    "response_and_assertion": {"want_response_signed": True, "want_assertions_signed": True},
    "assertion_only": {"want_response_signed": False, "want_assertions_signed": True},
    "response_only": {"want_response_signed": True, "want_assertions_signed": False},
}

VICTIM = "alice@example.test"
ATTACKER = "mallory@example.test"


def _sp_settings(sp: KeyPair, idp_metadata: str, profile: dict) -> dict:
    return {
        "entityid": SP_ENTITY_ID,
        "key_file": str(sp.key_file),
        "cert_file": str(sp.cert_file),
        "allow_unknown_attributes": True,
        "service": {
            "sp": {
                "endpoints": {"assertion_consumer_service": [(SP_ACS_URL, BINDING_HTTP_POST)]},
                "allow_unsolicited": False,
                "authn_requests_signed": False,
                **profile,
            },
        },
        "metadata": {"local": [idp_metadata]} if idp_metadata else {},
    }


@dataclass
class Federation:
    """One IdP, an impostor IdP with another key, answering one SP.

    `in_response_to` is the AuthnRequest ID the next responses answer.
    """

    folder: Path
    sp_entity_id: str = SP_ENTITY_ID
    acs_url: str = SP_ACS_URL
    in_response_to: str = "id-request-1"
    keys: dict[str, KeyPair] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("sp", "idp", "impostor"):
            if name not in self.keys:
                self.keys[name] = generate_key_pair(self.folder, common_name=name, stem=name)
        self.idp = TestIdP(self.folder, entity_id=IDP_ENTITY_ID, key_pair=self.keys["idp"])
        # Same entity ID, another key: what an attacker with their own key pair can sign.
        impostor_folder = self.folder / "impostor"
        impostor_folder.mkdir(exist_ok=True)
        self.impostor = TestIdP(
            impostor_folder, entity_id=IDP_ENTITY_ID, key_pair=self.keys["impostor"]
        )
        if self.sp_entity_id == SP_ENTITY_ID:
            sp_conf = SPConfig().load(
                _sp_settings(self.keys["sp"], "", SP_PROFILES["response_and_assertion"])
            )
            self.trust_sp(str(entity_descriptor(sp_conf)))

    @classmethod
    def for_sp(cls, folder: Path, *, keys: dict[str, KeyPair], sp_metadata: str) -> Federation:
        """Return a federation answering the SP described by `sp_metadata` (the portal)."""
        root = etree.fromstring(sp_metadata.encode())
        acs = root.find(".//{urn:oasis:names:tc:SAML:2.0:metadata}AssertionConsumerService")
        federation = cls(
            folder, sp_entity_id=root.get("entityID"), acs_url=acs.get("Location"), keys=keys
        )
        federation.trust_sp(sp_metadata)
        return federation

    def trust_sp(self, sp_metadata: str) -> None:
        self.idp.trust_sp(sp_metadata)
        self.impostor.trust_sp(sp_metadata)

    @property
    def idp_key(self) -> str:
        return str(self.keys["idp"].key_file)

    @property
    def idp_cert(self) -> str:
        return str(self.keys["idp"].cert_file)

    @property
    def other_cert(self) -> str:
        return str(self.keys["impostor"].cert_file)

    @property
    def idp_cert_pem(self) -> bytes:
        return self.keys["idp"].cert_file.read_bytes()

    @property
    def idp_metadata(self) -> Path:
        return self.idp.metadata_file

    def sp_client(self, profile: str, *, idp_metadata: Path | None = None) -> Saml2Client:
        """Return a pysaml2 SP client trusting the IdP's metadata, for one SP profile."""
        metadata = str(idp_metadata or self.idp_metadata)
        conf = SPConfig().load(_sp_settings(self.keys["sp"], metadata, SP_PROFILES[profile]))
        return Saml2Client(config=conf)

    def signed_response(
        self,
        *,
        name_id: str = VICTIM,
        sign_response: bool = True,
        sign_assertion: bool = True,
        impostor: bool = False,
    ) -> bytes:
        """Return the XML of a real response for `name_id`, signed as asked."""
        idp = self.impostor if impostor else self.idp
        subject = Subject(
            name_id=name_id,
            name_id_format=NAMEID_FORMAT_EMAILADDRESS,
            attributes={"mail": [name_id], "displayName": ["Alice Example"]},
        )
        return idp.response_xml(
            subject,
            sp_entity_id=self.sp_entity_id,
            acs_url=self.acs_url,
            in_response_to=self.in_response_to,
            sign_response=sign_response,
            sign_assertion=sign_assertion,
        ).encode()


def parse(xml: bytes) -> etree._Element:
    return etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))


def serialize(root: etree._Element) -> bytes:
    return etree.tostring(root)


def post_body(xml: bytes) -> str:
    """Return the SAMLResponse form value for `xml`."""
    return base64.b64encode(xml).decode()


def assertion_of(root: etree._Element) -> etree._Element:
    return root.find("saml:Assertion", NS)


def _signature_of(node: etree._Element) -> etree._Element | None:
    return node.find("ds:Signature", NS)


def _set_name_id(assertion: etree._Element, value: str) -> None:
    assertion.find("saml:Subject/saml:NameID", NS).text = value
    for attribute_value in assertion.iterfind(".//saml:AttributeValue", NS):
        if attribute_value.text == VICTIM or attribute_value.text == ATTACKER:
            attribute_value.text = value


def _forged_assertion(signed: etree._Element, *, same_id: bool) -> etree._Element:
    """Return an unsigned copy of `signed` naming the attacker's victim."""
    forged = copy.deepcopy(signed)
    signature = _signature_of(forged)
    if signature is not None:
        forged.remove(signature)
    if not same_id:
        forged.set("ID", "id-" + uuid.uuid4().hex)
    _set_name_id(forged, VICTIM)
    return forged


def _extensions(response: etree._Element) -> etree._Element:
    """Return the Response's Extensions element, created where the schema puts it."""
    existing = response.find("samlp:Extensions", NS)
    if existing is not None:
        return existing
    extensions = etree.Element(f"{{{SAMLP}}}Extensions")
    status = response.find("samlp:Status", NS)
    status.addprevious(extensions)
    return extensions


# --- Attacks ------------------------------------------------------------------------------
# Each takes the Federation and returns the XML posted to the SP. The attacker holds a
# genuine response for their own account (ATTACKER) and tries to sign in as VICTIM.


def valid(fed: Federation) -> bytes:
    return fed.signed_response()


def tampered_name_id(fed: Federation) -> bytes:
    root = parse(fed.signed_response(name_id=ATTACKER))
    _set_name_id(assertion_of(root), VICTIM)
    return serialize(root)


def tampered_attribute(fed: Federation) -> bytes:
    root = parse(fed.signed_response())
    value = assertion_of(root).find(".//saml:AttributeValue", NS)
    value.text = "Someone Else"
    return serialize(root)


def tampered_response_destination(fed: Federation) -> bytes:
    root = parse(fed.signed_response())
    root.set("Destination", "https://attacker.example.test/acs")
    return serialize(root)


def other_key_with_embedded_cert(fed: Federation) -> bytes:
    # The impostor's signatures are valid for its own key, whose certificate sits in
    # KeyInfo: only a verifier that trusts KeyInfo accepts them.
    return fed.signed_response(impostor=True)


def unsigned(fed: Federation) -> bytes:
    return fed.signed_response(sign_response=False, sign_assertion=False)


def assertion_signature_stripped(fed: Federation) -> bytes:
    # The response stays signed: stripping the assertion's signature breaks it, so the
    # attacker can only take an IdP response that never signed the assertion.
    return fed.signed_response(sign_response=True, sign_assertion=False)


def response_signature_stripped(fed: Federation) -> bytes:
    root = parse(fed.signed_response())
    root.remove(_signature_of(root))
    return serialize(root)


def only_response_signed(fed: Federation) -> bytes:
    return fed.signed_response(sign_response=True, sign_assertion=False)


def only_assertion_signed(fed: Federation) -> bytes:
    return fed.signed_response(sign_response=False, sign_assertion=True)


def _wrap_assertion(fed: Federation, *, place: str, same_id: bool, sign_response: bool) -> bytes:
    root = parse(fed.signed_response(name_id=ATTACKER, sign_response=sign_response))
    signed = assertion_of(root)
    forged = _forged_assertion(signed, same_id=same_id)
    if place == "before":
        signed.addprevious(forged)
    elif place == "after":
        signed.addnext(forged)
    elif place == "extensions":
        signed.addprevious(forged)
        root.remove(signed)
        _extensions(root).append(signed)
    elif place == "signature_object":
        # The signed assertion hides in a ds:Object of the forged one's copied signature.
        signed.addprevious(forged)
        root.remove(signed)
        signature = copy.deepcopy(_signature_of(signed))
        forged.find("saml:Issuer", NS).addnext(signature)
        ds_object = etree.SubElement(signature, f"{{{DS}}}Object")
        ds_object.append(signed)
    return serialize(root)


def forged_assertion_before(fed: Federation) -> bytes:
    return _wrap_assertion(fed, place="before", same_id=False, sign_response=False)


def forged_assertion_after(fed: Federation) -> bytes:
    return _wrap_assertion(fed, place="after", same_id=False, sign_response=False)


def forged_in_place_signed_in_extensions(fed: Federation) -> bytes:
    return _wrap_assertion(fed, place="extensions", same_id=False, sign_response=False)


def forged_same_id_signed_in_extensions(fed: Federation) -> bytes:
    return _wrap_assertion(fed, place="extensions", same_id=True, sign_response=False)


def forged_in_place_signed_in_signature_object(fed: Federation) -> bytes:
    return _wrap_assertion(fed, place="signature_object", same_id=True, sign_response=False)


def forged_assertion_before_in_signed_response(fed: Federation) -> bytes:
    return _wrap_assertion(fed, place="before", same_id=False, sign_response=True)


def forged_same_id_in_extensions_of_signed_response(fed: Federation) -> bytes:
    return _wrap_assertion(fed, place="extensions", same_id=True, sign_response=True)


def response_wrapping(fed: Federation, *, same_id: bool) -> bytes:
    """Wrap the genuine signed response inside a forged one's Extensions.

    The genuine response's signature moves up to the forged response, where it is a
    direct child again; its Reference still names the genuine response, whose digest
    is unchanged once the (enveloped) signature is gone from it. A verifier that follows
    the reference wherever it points accepts this document: the rule that a signature
    must reference its own parent is what stops it.
    """
    genuine = parse(fed.signed_response(name_id=ATTACKER))
    forged = copy.deepcopy(genuine)
    forged.remove(_signature_of(forged))
    if not same_id:
        forged.set("ID", "id-" + uuid.uuid4().hex)
    forged_assertion = assertion_of(forged)
    forged.replace(forged_assertion, _forged_assertion(forged_assertion, same_id=False))
    signature = _signature_of(genuine)
    genuine.remove(signature)
    forged.find("saml:Issuer", NS).addnext(signature)
    _extensions(forged).append(genuine)
    return serialize(forged)


def response_wrapping_same_id(fed: Federation) -> bytes:
    return response_wrapping(fed, same_id=True)


def response_wrapping_new_id(fed: Federation) -> bytes:
    return response_wrapping(fed, same_id=False)


def duplicate_assertion_ids(fed: Federation) -> bytes:
    # Two assertions carry the signed assertion's ID; whichever one a reader resolves,
    # it must not be the unsigned one.
    return _wrap_assertion(fed, place="after", same_id=True, sign_response=False)


def file_reference(fed: Federation) -> bytes:
    """Sign the assertion with the IdP's own key over a local file instead of itself.

    The signature is cryptographically valid: only the rule "references are empty or
    same-document" refuses it (the SP would otherwise read local files while verifying).
    """
    payload = fed.folder / "payload.txt"
    payload.write_text("any local file")
    root = parse(fed.signed_response(sign_response=False, sign_assertion=True))
    assertion = assertion_of(root)
    assertion.remove(_signature_of(assertion))
    signature = xmlsec.template.create(
        assertion, xmlsec.constants.TransformExclC14N, xmlsec.constants.TransformRsaSha256
    )
    assertion.find("saml:Issuer", NS).addnext(signature)
    xmlsec.template.add_reference(signature, xmlsec.constants.TransformSha256, uri=payload.as_uri())
    ctx = xmlsec.SignatureContext()
    ctx.key = xmlsec.Key.from_file(fed.idp_key, xmlsec.constants.KeyDataFormatPem)
    ctx.sign(signature)
    return serialize(root)


def comment_in_name_id(fed: Federation) -> bytes:
    # The IdP signed `alice@example.test.attacker.test`, the attacker's own account at
    # a lookalike domain; a comment splits the text so a reader that keeps only the
    # first text node sees `alice@example.test`. C14N drops comments, so the signature
    # still holds: the accepted name must be the whole, signed one.
    root = parse(fed.signed_response(name_id=VICTIM + ".attacker.test"))
    for name_id in root.iterfind(".//saml:NameID", NS):
        name_id.text = VICTIM
        comment = etree.Comment("")
        comment.tail = ".attacker.test"
        name_id.append(comment)
    return serialize(root)


@dataclass(frozen=True)
class Case:
    """A corpus entry: how to build it and whether each SP profile must accept it.

    `accepted` maps profile -> True (sign-in as `expected_name`) or False (refused).
    """

    name: str
    build: Callable[[Federation], bytes]
    accepted: dict[str, bool]
    expected_name: str = VICTIM


def _everywhere(accepted: bool) -> dict[str, bool]:
    return dict.fromkeys(SP_PROFILES, accepted)


REFUSED = _everywhere(False)

CORPUS = [
    Case("valid", valid, _everywhere(True)),
    Case(
        "only_response_signed",
        only_response_signed,
        {"response_and_assertion": False, "assertion_only": False, "response_only": True},
    ),
    Case(
        "only_assertion_signed",
        only_assertion_signed,
        {"response_and_assertion": False, "assertion_only": True, "response_only": False},
    ),
    Case("tampered_name_id", tampered_name_id, REFUSED),
    Case("tampered_attribute", tampered_attribute, REFUSED),
    Case(
        "tampered_response_destination",
        tampered_response_destination,
        REFUSED,
    ),
    Case("other_key_with_embedded_cert", other_key_with_embedded_cert, REFUSED),
    Case("unsigned", unsigned, REFUSED),
    Case(
        "response_signature_stripped",
        response_signature_stripped,
        {"response_and_assertion": False, "assertion_only": True, "response_only": False},
    ),
    Case("forged_assertion_before", forged_assertion_before, REFUSED),
    Case("forged_assertion_after", forged_assertion_after, REFUSED),
    Case("forged_in_place_signed_in_extensions", forged_in_place_signed_in_extensions, REFUSED),
    Case("forged_same_id_signed_in_extensions", forged_same_id_signed_in_extensions, REFUSED),
    Case(
        "forged_in_place_signed_in_signature_object",
        forged_in_place_signed_in_signature_object,
        REFUSED,
    ),
    Case(
        "forged_assertion_before_in_signed_response",
        forged_assertion_before_in_signed_response,
        REFUSED,
    ),
    Case(
        "forged_same_id_in_extensions_of_signed_response",
        forged_same_id_in_extensions_of_signed_response,
        REFUSED,
    ),
    Case("response_wrapping_same_id", response_wrapping_same_id, REFUSED),
    Case("response_wrapping_new_id", response_wrapping_new_id, REFUSED),
    Case("duplicate_assertion_ids", duplicate_assertion_ids, REFUSED),
    Case("file_reference", file_reference, REFUSED),
    Case(
        "comment_in_name_id",
        comment_in_name_id,
        _everywhere(True),
        expected_name=VICTIM + ".attacker.test",
    ),
]


def signature_targets(xml: bytes) -> list[tuple[str, str]]:
    """Return every (node name, ID) pysaml2 could ask a verifier about in `xml`.

    pysaml2 asks only about an element that has a signature of its own (a direct child),
    so only those are returned.
    """
    root = parse(xml)
    targets = []
    for namespace, name in ((SAMLP, "Response"), (SAML, "Assertion")):
        for element in root.iter(f"{{{namespace}}}{name}"):
            if element.get("ID") is not None and _signature_of(element) is not None:
                targets.append((f"{namespace}:{name}", element.get("ID")))
    return targets
