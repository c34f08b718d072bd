"""Time one SAML signature verification: the xmlsec1 command, libxmlsec1 in-process, signxml.

Real responses signed by pysaml2 acting as IdP; each verifier checks the assertion's
signature inside the whole response, as the ACS does. signxml is measured only when it
is installed (it is not a dependency):

    uv run --with signxml python bench/xmlsig_verifiers.py
"""

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from saml2.sigver import CryptoBackendXmlSec1, get_xmlsec_binary  # noqa: E402

from identity.xmlsig import InProcessCryptoBackend  # noqa: E402
from tests import xmlsig_corpus as corpus  # noqa: E402

ROUNDS = 200


def timed(label, verify, rounds=ROUNDS):
    verify()  # warm up, and fail loudly if the verifier refuses the genuine response
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        verify()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    print(
        f"{label:<28} median {statistics.median(samples):7.3f} ms   "
        f"p90 {samples[int(len(samples) * 0.9)]:7.3f} ms   ({rounds} runs)"
    )


def main():
    fed = corpus.Federation(Path(tempfile.mkdtemp()))
    xml = fed.signed_response(sign_response=True, sign_assertion=True)
    assertion_id = corpus.assertion_of(corpus.parse(xml)).get("ID")
    node = f"{corpus.SAML}:Assertion"
    binary = get_xmlsec_binary()
    stock = CryptoBackendXmlSec1(binary)
    ours = InProcessCryptoBackend(binary)

    def run(backend):
        assert backend.validate_signature(xml, fed.idp_cert, "pem", node, assertion_id)

    timed("xmlsec1 command (pysaml2)", lambda: run(stock), rounds=40)
    timed("libxmlsec1 in-process", lambda: run(ours))

    try:
        from signxml import DigestAlgorithm, SignatureConfiguration, SignatureMethod, XMLVerifier
    except ImportError:
        print("signxml                      not installed (uv run --with signxml ...)")
        return
    cert = fed.idp_cert_pem.decode()
    # pysaml2's IdP signs with RSA-SHA1 by default; signxml refuses SHA-1 unless told.
    config = SignatureConfiguration(
        signature_methods=frozenset(SignatureMethod),
        digest_algorithms=frozenset(DigestAlgorithm),
        expect_references=1,
    )

    def signxml_verify():
        # signxml verifies the first signature of the tree it is given: hand it the
        # assertion subtree, as an integration would have to.
        assertion = corpus.assertion_of(corpus.parse(xml))
        XMLVerifier().verify(assertion, x509_cert=cert, id_attribute="ID", expect_config=config)

    timed("signxml (lxml + cryptography)", signxml_verify)


if __name__ == "__main__":
    main()
