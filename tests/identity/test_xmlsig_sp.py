"""The hostile corpus through pysaml2's SP response handling, three SP configurations.

Each corpus response goes to a real pysaml2 SP client (the code the ACS runs) once with
the xmlsec1 command verifying and once in-process: both must reach the same verdict, the
one the corpus expects, and no forged response may name anyone but the signed subject.
"""

import subprocess
from pathlib import Path

import pytest
import saml2.sigver
from lxml import etree
from saml2 import BINDING_HTTP_POST
from saml2.sigver import SignatureError

from identity.xmlsig import InProcessCryptoBackend, use_in_process_verifier
from tests import xmlsig_corpus as corpus

VERIFIERS = ["xmlsec1", "inprocess"]


@pytest.fixture(scope="module")
def federation(tmp_path_factory):
    return corpus.Federation(tmp_path_factory.mktemp("federation"))


@pytest.fixture(scope="module")
def documents(federation):
    return {case.name: case.build(federation) for case in corpus.CORPUS}


def client_for(federation, profile, verifier):
    client = federation.sp_client(profile)
    if verifier == "inprocess":
        use_in_process_verifier(client)
    return client


def sign_in(client, xml):
    """Return the NameID the SP accepts from `xml`, or None when it refuses it."""
    try:
        response = client.parse_authn_request_response(
            corpus.post_body(xml), BINDING_HTTP_POST, outstanding={"id-request-1": "/"}
        )
    except Exception:  # pysaml2 refuses with a dozen exception types; any refusal counts
        return None
    if response is None:
        return None
    return response.name_id.text


@pytest.mark.parametrize("profile", list(corpus.SP_PROFILES))
@pytest.mark.parametrize("case", corpus.CORPUS, ids=lambda case: case.name)
def test_corpus_verdicts_are_the_same_with_both_verifiers(case, profile, federation, documents):
    xml = documents[case.name]
    names = {
        verifier: sign_in(client_for(federation, profile, verifier), xml) for verifier in VERIFIERS
    }
    assert names["inprocess"] == names["xmlsec1"]
    if case.accepted[profile]:
        assert names["inprocess"] == case.expected_name
    else:
        assert names["inprocess"] is None


def test_the_in_process_verifier_runs_no_xmlsec1(federation, documents, monkeypatch):
    """Count xmlsec1 processes per response: the hook must stay in use (pysaml2 is pinned)."""
    started = []
    real_popen = subprocess.Popen

    def counting_popen(args, *rest, **kwargs):
        started.append(list(args))
        return real_popen(args, *rest, **kwargs)

    monkeypatch.setattr(saml2.sigver, "Popen", counting_popen)
    stock = client_for(federation, "response_and_assertion", "xmlsec1")
    assert sign_in(stock, documents["valid"]) == corpus.VICTIM
    assert any("--verify" in args for args in started)

    started.clear()
    ours = client_for(federation, "response_and_assertion", "inprocess")
    assert sign_in(ours, documents["valid"]) == corpus.VICTIM
    assert started == []


def test_plugging_in_keeps_the_xmlsec1_binary_for_signing(federation):
    client = client_for(federation, "response_and_assertion", "inprocess")
    assert isinstance(client.sec.crypto, InProcessCryptoBackend)
    assert client.sec.crypto.xmlsec == saml2.sigver.get_xmlsec_binary()


def _metadata_with_certs_first(federation, cert_files):
    """Return IdP metadata publishing `cert_files` as signing keys, in that order."""
    root = etree.parse(str(federation.idp_metadata)).getroot()
    md = "urn:oasis:names:tc:SAML:2.0:metadata"
    descriptor = root.find(f"{{{md}}}IDPSSODescriptor")
    template = descriptor.find(f"{{{md}}}KeyDescriptor")
    for cert_file in cert_files:
        key_descriptor = etree.fromstring(etree.tostring(template))
        key_descriptor.set("use", "signing")
        pem = Path(cert_file).read_text()
        body = "".join(line for line in pem.splitlines() if "CERTIFICATE" not in line)
        key_descriptor.find(".//{http://www.w3.org/2000/09/xmldsig#}X509Certificate").text = body
        template.addprevious(key_descriptor)
    for old in descriptor.findall(f"{{{md}}}KeyDescriptor")[len(cert_files) :]:
        descriptor.remove(old)
    return etree.tostring(root)


@pytest.mark.parametrize("verifier", VERIFIERS)
def test_a_second_metadata_certificate_is_tried_after_the_first_fails(
    verifier, federation, documents, tmp_path
):
    # Key rollover: the IdP publishes the next certificate first. A failure with the first
    # must surface as pysaml2's signature error so that pysaml2 tries the second.
    metadata = tmp_path / "idp-two-certs.xml"
    metadata.write_bytes(
        _metadata_with_certs_first(federation, [federation.other_cert, federation.idp_cert])
    )
    client = federation.sp_client("response_and_assertion", idp_metadata=metadata)
    if verifier == "inprocess":
        use_in_process_verifier(client)
    assert len(client.metadata.certs(corpus.IDP_ENTITY_ID, "any", "signing")) == 2
    assert sign_in(client, documents["valid"]) == corpus.VICTIM


def test_a_refusal_is_a_signature_error(federation, documents):
    client = client_for(federation, "response_and_assertion", "inprocess")
    with pytest.raises(SignatureError):
        client.parse_authn_request_response(
            corpus.post_body(documents["tampered_name_id"]),
            BINDING_HTTP_POST,
            outstanding={"id-request-1": "/"},
        )
