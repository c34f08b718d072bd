"""Verify SAML XML signatures in-process, with the semantics pysaml2 asks of `xmlsec1 --verify`.

Reading guide:
- `InProcessCryptoBackend` is a pysaml2 crypto backend. It subclasses pysaml2's
  `CryptoBackendXmlSec1` and overrides only `validate_signature`, so signing and
  decryption keep running the `xmlsec1` command, while verification (twice per ACS
  POST) runs in this process on libxmlsec1 through the `xmlsec` binding.
- `verify_signature` is the whole verification, one rule after another; each rule's
  comment names the attack it stops.
- `use_in_process_verifier` plugs the backend into a pysaml2 entity (SP client). pysaml2
  has no setting for a custom backend: the hook is the entity's `sec.crypto` attribute,
  pysaml2 is pinned and a test counts `xmlsec1` subprocesses per ACS POST (0 here).

What pysaml2 asks of the command (saml2/sigver.py, `validate_signature`):
    xmlsec1 --verify --enabled-reference-uris empty,same-doc
            --enabled-key-data raw-x509-cert --pubkey-cert-pem <metadata cert>
            --id-attr:ID <node name> --node-id <ID> <document>
and it reads a failure as `XmlsecError`, then tries the next metadata certificate.
Every failure here is raised as pysaml2's `SignatureError` (an `XmlsecError`) so that
an IdP publishing several signing certificates (key rollover) keeps working.
"""

from __future__ import annotations

import logging
import threading

import xmlsec
from lxml import etree
from saml2.sigver import CryptoBackendXmlSec1, SignatureError

logger = logging.getLogger(__name__)

DSIG_NS = "http://www.w3.org/2000/09/xmldsig#"
XML_ID = "{http://www.w3.org/XML/1998/namespace}id"
SIGNATURE = f"{{{DSIG_NS}}}Signature"
REFERENCE_PATH = f"{{{DSIG_NS}}}SignedInfo/{{{DSIG_NS}}}Reference"

_C14N = (
    xmlsec.constants.TransformExclC14N,
    xmlsec.constants.TransformExclC14NWithComments,
    xmlsec.constants.TransformInclC14N,
    xmlsec.constants.TransformInclC14NWithComments,
    xmlsec.constants.TransformInclC14N11,
    xmlsec.constants.TransformInclC14N11WithComments,
)
_DIGESTS = (
    xmlsec.constants.TransformSha1,
    xmlsec.constants.TransformSha224,
    xmlsec.constants.TransformSha256,
    xmlsec.constants.TransformSha384,
    xmlsec.constants.TransformSha512,
)
_SIGNATURE_METHODS = (
    xmlsec.constants.TransformRsaSha1,
    xmlsec.constants.TransformRsaSha224,
    xmlsec.constants.TransformRsaSha256,
    xmlsec.constants.TransformRsaSha384,
    xmlsec.constants.TransformRsaSha512,
    xmlsec.constants.TransformEcdsaSha1,
    xmlsec.constants.TransformEcdsaSha224,
    xmlsec.constants.TransformEcdsaSha256,
    xmlsec.constants.TransformEcdsaSha384,
    xmlsec.constants.TransformEcdsaSha512,
)
# XPath, XPath2, XPointer and XSLT transforms are never enabled: they let the signer
# (or an attacker) choose which part of the document is digested, or run code.
REFERENCE_TRANSFORMS = (xmlsec.constants.TransformEnveloped, *_C14N, *_DIGESTS)
SIGNATURE_TRANSFORMS = (*_C14N, *_SIGNATURE_METHODS)

_CERT_FORMATS = {
    "pem": xmlsec.constants.KeyDataFormatCertPem,
    "der": xmlsec.constants.KeyDataFormatCertDer,
}


def _parser() -> etree.XMLParser:
    # A DTD can declare more ID attributes, and entities can expand or fetch: neither
    # belongs in a SAML message (pysaml2 already refuses them with defusedxml).
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=False,
    )


_local = threading.local()


def _thread_parser() -> etree.XMLParser:
    # lxml parsers are not thread-safe; one per thread, reused.
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = _parser()
    return parser


def _refuse(reason: str) -> SignatureError:
    logger.info("SAML signature refused: %s", reason)
    return SignatureError(reason)


def verify_signature(
    signed_xml: bytes, *, cert: bytes, cert_type: str = "pem", node_name: str, node_id: str | None
) -> bool:
    """Verify the signature of the `node_name` element with ID `node_id` in `signed_xml`.

    Return True when it is valid for the key in `cert` (the IdP's metadata certificate);
    raise `SignatureError` otherwise. Without `node_id`, the document element is the
    signed node, as when pysaml2 verifies a whole message.
    """
    try:
        root = etree.fromstring(signed_xml, _thread_parser())
    except etree.XMLSyntaxError as exc:
        raise _refuse(f"not well-formed XML: {exc}") from exc
    if root.getroottree().docinfo.doctype:
        raise _refuse("a DOCTYPE is not allowed")

    # IDs count only on the expected element (`--id-attr:ID <node name>`): an ID attribute
    # on any other element (a wrapper, an Extensions child, a ds:Object payload) never
    # names what is signed. The namespace and name are split at the last colon, as xmlsec1
    # does for "urn:oasis:names:tc:SAML:2.0:assertion:Assertion".
    namespace, _, local_name = node_name.rpartition(":")
    expected = f"{{{namespace}}}{local_name}" if namespace else local_name
    ctx = xmlsec.SignatureContext()
    identified: dict[str, etree._Element] = {}
    for element in root.iter(expected):
        value = element.get("ID")
        if value is None:
            continue
        # Duplicate IDs are refused: with two elements behind one ID, the signature can
        # cover one while the application reads the other (signature wrapping).
        if value in identified:
            raise _refuse(f"duplicate ID {value!r}")
        identified[value] = element
        try:
            ctx.register_id(element, "ID")
        except xmlsec.Error as exc:
            raise _refuse(f"duplicate ID {value!r}") from exc
    # libxml2 makes every xml:id an ID by itself: the same value there is a duplicate too.
    for element in root.iter():
        if isinstance(element.tag, str) and element.get(XML_ID) in identified:
            raise _refuse(f"duplicate ID {element.get(XML_ID)!r} (xml:id)")

    # Verification starts at the element with the given ID (`--node-id`), and the
    # signature checked is that element's own: a signature found elsewhere in the
    # document (in a wrapper, in Extensions) proves nothing about this element.
    if node_id is None:
        signed_node = root
    else:
        signed_node = identified.get(node_id)
        if signed_node is None:
            raise _refuse(f"no {local_name} with ID {node_id!r}")
    signatures = [child for child in signed_node if child.tag == SIGNATURE]
    if len(signatures) != 1:
        raise _refuse(f"{len(signatures)} direct-child signatures on {local_name}, need 1")
    signature = signatures[0]

    # References are only empty (this document) or same-document "#ID" on the expected
    # element (`--enabled-reference-uris empty,same-doc`). libxmlsec1 would otherwise
    # dereference file:// and http:// URIs: a local file read, or a request to a host
    # the attacker chose, made by the SP while it verifies. XPointer ("#xpointer(...)")
    # selects nodes by expression and is refused with the other expression transforms.
    references = signature.findall(REFERENCE_PATH)
    if not references:
        raise _refuse("no Reference in SignedInfo")
    for reference in references:
        uri = reference.get("URI")
        if uri is None:
            raise _refuse("a Reference without URI")
        if uri == "":
            continue
        if not uri.startswith("#") or uri.startswith("#xpointer("):
            raise _refuse(f"reference URI {uri!r} is not empty or same-document")
        if uri[1:] not in identified:
            raise _refuse(f"reference {uri!r} names no {local_name}")

    # The key is exactly the metadata certificate pysaml2 hands over. Setting it on the
    # context means libxmlsec1 never reads KeyInfo: a certificate the attacker embeds
    # there (their own key) is ignored, and no RetrievalMethod is ever followed.
    try:
        ctx.key = xmlsec.Key.from_memory(cert, _CERT_FORMATS[cert_type])
    except (KeyError, xmlsec.Error) as exc:
        raise _refuse(f"unusable {cert_type} certificate") from exc
    ctx.set_enabled_key_data([xmlsec.constants.KeyDataRawX509Cert])
    for transform in REFERENCE_TRANSFORMS:
        ctx.enable_reference_transform(transform)
    for transform in SIGNATURE_TRANSFORMS:
        ctx.enable_signature_transform(transform)

    try:
        ctx.verify(signature)
    except xmlsec.Error as exc:
        raise _refuse(f"signature does not verify: {exc}") from exc
    return True


class InProcessCryptoBackend(CryptoBackendXmlSec1):
    """pysaml2's xmlsec1 backend, verifying signatures in-process.

    Sign, encrypt and decrypt are inherited and keep running the `xmlsec1` command.
    The command's version is learnt once per backend instead of once per call.
    """

    def __init__(self, xmlsec_binary: str, **kwargs):
        super().__init__(xmlsec_binary, **kwargs)
        self._version: str | None = None

    @property
    def version(self) -> str:
        if self._version is None:
            self._version = super().version
        return self._version

    def validate_signature(self, signedtext, cert_file, cert_type, node_name, node_id):
        if not isinstance(signedtext, bytes):
            signedtext = signedtext.encode("utf-8")
        try:
            with open(cert_file, "rb") as handle:
                cert = handle.read()
        except OSError as exc:
            raise _refuse(f"cannot read certificate {cert_file}") from exc
        return verify_signature(
            signedtext, cert=cert, cert_type=cert_type, node_name=node_name, node_id=node_id
        )


def use_in_process_verifier(entity) -> None:
    """Make a pysaml2 entity (an SP client) verify signatures in-process.

    Replace the entity's crypto backend, keeping its xmlsec1 binary for signing and
    decryption. pysaml2 offers no setting for this: the hook is `entity.sec.crypto`
    (pysaml2 pinned; tests fail if an ACS POST runs `xmlsec1` again).
    """
    current = entity.sec.crypto
    if isinstance(current, InProcessCryptoBackend):
        return
    entity.sec.crypto = InProcessCryptoBackend(
        current.xmlsec, delete_tmpfiles=getattr(current, "delete_tmpfiles", True)
    )
