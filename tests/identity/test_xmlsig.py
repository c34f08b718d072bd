"""The in-process signature verifier against the xmlsec1 command, call for call.

Every corpus document is put to both verifiers with every (node name, ID) pysaml2 could
ask about, exactly as pysaml2 calls `validate_signature`; they must agree every time.
"""

import threading

import pytest
import xmlsec
from lxml import etree
from saml2.sigver import CryptoBackendXmlSec1, SignatureError, XmlsecError, get_xmlsec_binary

from identity.xmlsig import InProcessCryptoBackend, verify_signature
from tests import xmlsig_corpus as corpus

RESPONSE = f"{corpus.SAMLP}:Response"
ASSERTION = f"{corpus.SAML}:Assertion"


@pytest.fixture(scope="module")
def federation(tmp_path_factory):
    return corpus.Federation(tmp_path_factory.mktemp("federation"))


@pytest.fixture(scope="module")
def documents(federation):
    return {case.name: case.build(federation) for case in corpus.CORPUS}


@pytest.fixture(scope="module")
def backends():
    binary = get_xmlsec_binary()
    return {"xmlsec1": CryptoBackendXmlSec1(binary), "inprocess": InProcessCryptoBackend(binary)}


def accepts(backend, xml, cert_file, node_name, node_id):
    """Return whether `backend` accepts the signature, as pysaml2 reads its answer."""
    try:
        return backend.validate_signature(
            xml, cert_file=cert_file, cert_type="pem", node_name=node_name, node_id=node_id
        )
    except XmlsecError:
        return False


def verdicts(backends, xml, cert_file):
    return {
        name: {
            target: accepts(backend, xml, cert_file, *target)
            for target in corpus.signature_targets(xml)
        }
        for name, backend in backends.items()
    }


@pytest.mark.parametrize("case", corpus.CORPUS, ids=lambda case: case.name)
def test_both_verifiers_agree_on_every_signature_pysaml2_could_check(
    case, documents, backends, federation
):
    found = verdicts(backends, documents[case.name], federation.idp_cert)
    assert found["inprocess"] == found["xmlsec1"]


def test_a_genuine_response_and_assertion_verify(documents, backends, federation):
    xml = documents["valid"]
    for backend in backends.values():
        assert all(
            accepts(backend, xml, federation.idp_cert, *target)
            for target in corpus.signature_targets(xml)
        )


@pytest.mark.parametrize("name", ["tampered_name_id", "tampered_attribute"])
def test_a_tampered_assertion_is_refused(name, documents, federation):
    xml = documents[name]
    assertion_id = corpus.assertion_of(corpus.parse(xml)).get("ID")
    with pytest.raises(SignatureError):
        verify_signature(
            xml,
            cert=federation.idp_cert_pem,
            node_name=ASSERTION,
            node_id=assertion_id,
        )


def test_the_certificate_in_keyinfo_is_ignored(documents, federation, backends):
    xml = documents["other_key_with_embedded_cert"]
    root = corpus.parse(xml)
    assert root.find(".//ds:X509Certificate", corpus.NS) is not None
    for backend in backends.values():
        # Refused with the metadata certificate, accepted with the impostor's own: the
        # verdict comes from the certificate handed over, never from the document.
        for target in corpus.signature_targets(xml):
            assert not accepts(backend, xml, federation.idp_cert, *target)
            assert accepts(backend, xml, federation.other_cert, *target)


def test_every_failure_is_pysaml2s_signature_error(documents, federation):
    # pysaml2 tries the next metadata certificate only after an XmlsecError.
    xml = documents["valid"]
    node_name, node_id = corpus.signature_targets(xml)[0]
    with pytest.raises(SignatureError):
        InProcessCryptoBackend(get_xmlsec_binary()).validate_signature(
            xml, federation.other_cert, "pem", node_name, node_id
        )


def test_duplicate_ids_are_refused(documents, federation):
    xml = documents["forged_same_id_signed_in_extensions"]
    assertion_id = corpus.assertion_of(corpus.parse(xml)).get("ID")
    with pytest.raises(SignatureError, match="duplicate ID"):
        verify_signature(
            xml,
            cert=federation.idp_cert_pem,
            node_name=ASSERTION,
            node_id=assertion_id,
        )


def test_an_id_on_another_element_names_nothing(documents, federation):
    # The assertion's ID counts only on Assertion elements: asking for it as a Response
    # fails in both verifiers, as `--id-attr:ID <Response>` makes xmlsec1 do.
    xml = documents["valid"]
    assertion_id = corpus.assertion_of(corpus.parse(xml)).get("ID")
    with pytest.raises(SignatureError, match="no Response with ID"):
        verify_signature(
            xml,
            cert=federation.idp_cert_pem,
            node_name=RESPONSE,
            node_id=assertion_id,
        )


def test_a_file_reference_is_refused_even_when_its_signature_is_valid(
    documents, federation, backends
):
    xml = documents["file_reference"]
    assertion_id = corpus.assertion_of(corpus.parse(xml)).get("ID")
    for backend in backends.values():
        assert not accepts(backend, xml, federation.idp_cert, ASSERTION, assertion_id)
    with pytest.raises(SignatureError, match="not empty or same-document"):
        verify_signature(
            xml,
            cert=federation.idp_cert_pem,
            node_name=ASSERTION,
            node_id=assertion_id,
        )
    # The same signature verifies once file references are allowed: the URI rule, not
    # a broken signature, is what refuses it.
    ctx = xmlsec.SignatureContext()
    ctx.key = xmlsec.Key.from_file(federation.idp_cert, xmlsec.constants.KeyDataFormatCertPem)
    assertion = corpus.assertion_of(corpus.parse(xml))
    ctx.verify(assertion.find("ds:Signature", corpus.NS))


def test_the_signature_checked_is_the_elements_own(documents, federation):
    # The response-wrapping document: the forged response holds the genuine signature as
    # its direct child, but the genuine response (in Extensions) lost its own.
    xml = documents["response_wrapping_new_id"]
    genuine = corpus.parse(xml).find("samlp:Extensions/samlp:Response", corpus.NS)
    with pytest.raises(SignatureError, match="0 direct-child signatures"):
        verify_signature(
            xml,
            cert=federation.idp_cert_pem,
            node_name=RESPONSE,
            node_id=genuine.get("ID"),
        )


def test_an_unsigned_element_never_borrows_a_neighbours_signature(documents, federation, backends):
    # xmlsec1 looks for the first Signature from the start node onwards, siblings
    # included: asked about the forged (unsigned) assertion, it verifies the genuine one
    # next to it and answers OK. pysaml2 never asks about an element without a signature
    # of its own, so that answer is never used; the in-process verifier refuses outright.
    xml = documents["forged_assertion_before"]
    forged = corpus.assertion_of(corpus.parse(xml))
    assert forged.find("ds:Signature", corpus.NS) is None
    target = (ASSERTION, forged.get("ID"))
    assert accepts(backends["xmlsec1"], xml, federation.idp_cert, *target)
    assert not accepts(backends["inprocess"], xml, federation.idp_cert, *target)


def test_a_comment_in_the_name_id_keeps_the_signature_valid(documents, federation, backends):
    xml = documents["comment_in_name_id"]
    assert b"<!---->" in xml
    for backend in backends.values():
        assert all(
            accepts(backend, xml, federation.idp_cert, *target)
            for target in corpus.signature_targets(xml)
        )


def test_a_doctype_is_refused(documents, federation):
    xml = documents["valid"]
    declared = b"<!DOCTYPE x [<!ATTLIST Assertion ID ID #IMPLIED>]>" + xml
    node_name, node_id = corpus.signature_targets(xml)[0]
    with pytest.raises(SignatureError):
        verify_signature(
            declared,
            cert=federation.idp_cert_pem,
            node_name=node_name,
            node_id=node_id,
        )


def test_not_xml_is_refused(federation):
    with pytest.raises(SignatureError):
        verify_signature(
            b"<Response",
            cert=federation.idp_cert_pem,
            node_name=RESPONSE,
            node_id="x",
        )


def test_threads_verifying_at_once_get_the_right_answers(documents, federation):
    """Sixteen threads verify genuine and hostile documents at once, many times over."""
    cert = federation.idp_cert_pem
    work = []
    for name in (
        "valid",
        "tampered_name_id",
        "other_key_with_embedded_cert",
        "forged_same_id_signed_in_extensions",
        "comment_in_name_id",
    ):
        xml = documents[name]
        for target in corpus.signature_targets(xml):
            try:
                expected = verify_signature(xml, cert=cert, node_name=target[0], node_id=target[1])
            except SignatureError:
                expected = False
            work.append((xml, target, expected))
    assert {expected for _, _, expected in work} == {True, False}
    wrong = []
    barrier = threading.Barrier(16)

    def verify_all():
        barrier.wait()
        for _ in range(25):
            for xml, (node_name, node_id), expected in work:
                try:
                    got = verify_signature(xml, cert=cert, node_name=node_name, node_id=node_id)
                except SignatureError:
                    got = False
                if got != expected:
                    wrong.append((node_name, node_id, got))

    threads = [threading.Thread(target=verify_all) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wrong == []


def test_lxml_and_xmlsec_share_one_libxml2():
    # Both wheels bundle libxml2; the binding hands lxml's trees to libxmlsec1, so a
    # version mismatch corrupts memory instead of failing cleanly.
    assert xmlsec.get_libxml_version() == etree.LIBXML_VERSION
    assert xmlsec.get_libxml_compiled_version() == etree.LIBXML_COMPILED_VERSION
