"""The hostile corpus through the portal's real ACS, with both signature verifiers.

Each case is posted after a real SP-initiated start (/saml2/login/), in three SP
configurations, once with SAML_SIGNATURE_VERIFIER=xmlsec1 and once in-process. The
verdict must be the corpus's in every run; a refused case creates no user and records
Failed Login / Invalid response; an accepted one signs in exactly the signed subject.
"""

import subprocess

import pytest
import saml2.sigver

from audit.models import AuthEvent, EventType, SubEventType
from identity.models import User
from identity.saml import config_loader
from identity.xmlsig import InProcessCryptoBackend
from tests import xmlsig_corpus as corpus
from tests.saml_idp import encode, post_response, start_login

pytestmark = pytest.mark.django_db

VERIFIERS = ["xmlsec1", "inprocess"]


@pytest.fixture(scope="module")
def corpus_keys(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corpus-keys")
    return {
        name: corpus.generate_key_pair(folder, common_name=name, stem=name)
        for name in ("sp", "idp", "impostor")
    }


@pytest.fixture
def portal_federation(settings, client, corpus_keys, tmp_path):
    """Return a function configuring the portal for (profile, verifier) and its federation."""

    def configure(profile: str, verifier: str) -> corpus.Federation:
        federation = corpus.Federation(
            tmp_path,
            sp_entity_id=f"{settings.PUBLIC_URL}/saml2/metadata/",
            acs_url=f"{settings.PUBLIC_URL}/saml2/acs/",
            keys=dict(corpus_keys),
        )
        sp = corpus_keys["sp"]
        base = settings.SAML_CONFIG
        settings.SAML_SIGNATURE_VERIFIER = verifier
        settings.SAML_CONFIG = {
            **base,
            "metadata": {"local": [str(federation.idp_metadata)]},
            "key_file": str(sp.key_file),
            "cert_file": str(sp.cert_file),
            "encryption_keypairs": [{"key_file": str(sp.key_file), "cert_file": str(sp.cert_file)}],
            "service": {"sp": {**base["service"]["sp"], **corpus.SP_PROFILES[profile]}},
        }
        federation.trust_sp(client.get("/saml2/metadata/").content.decode())
        return federation

    return configure


def post_case(client, federation, case):
    """Start a sign-in at the portal, answer it with the case's response, return the answer."""
    request = start_login(client, federation.idp)
    federation.in_response_to = request.request_id
    xml = case.build(federation)
    return post_response(client, encode(xml.decode()), relay_state=request.relay_state)


@pytest.mark.parametrize("verifier", VERIFIERS)
@pytest.mark.parametrize("profile", list(corpus.SP_PROFILES))
@pytest.mark.parametrize("case", corpus.CORPUS, ids=lambda case: case.name)
def test_corpus_through_the_acs(case, profile, verifier, portal_federation, client, jit_on):
    federation = portal_federation(profile, verifier)

    answer = post_case(client, federation, case)

    if case.accepted[profile]:
        assert answer.status_code == 302, answer.content[:300]
        username, _, domain = case.expected_name.rpartition("@")
        user = User.objects.principal(username, domain).get()
        assert User.objects.count() == 1
        assert int(client.session["_auth_user_id"]) == user.pk
    else:
        assert 400 <= answer.status_code < 500
        assert User.objects.count() == 0
        event = AuthEvent.objects.get()
        assert (event.event_type, event.sub_event) == (
            EventType.FAILED_LOGIN,
            SubEventType.INVALID_RESPONSE,
        )


@pytest.mark.parametrize(("verifier", "verify_runs"), [("xmlsec1", 2), ("inprocess", 0)])
def test_xmlsec1_runs_per_acs_post(
    verifier, verify_runs, portal_federation, client, jit_on, monkeypatch
):
    """Count xmlsec1 processes per ACS POST: 0 in-process, or the private hook stopped working.

    pysaml2 has no setting for a crypto backend; identity/saml.py replaces the backend of
    the shared security context (pysaml2 is pinned). If pysaml2 ever bypasses it, the
    in-process count goes up and this fails.
    """
    federation = portal_federation("response_and_assertion", verifier)
    request = start_login(client, federation.idp)
    federation.in_response_to = request.request_id
    xml = corpus.valid(federation)
    started = []
    real_popen = subprocess.Popen

    def counting_popen(args, *rest, **kwargs):
        started.append(list(args))
        return real_popen(args, *rest, **kwargs)

    monkeypatch.setattr(saml2.sigver, "Popen", counting_popen)
    answer = post_response(client, encode(xml.decode()), relay_state=request.relay_state)

    assert answer.status_code == 302
    assert sum("--verify" in args for args in started) == verify_runs
    if verifier == "inprocess":
        assert started == []


def test_the_default_verifier_is_in_process(portal_federation, settings):
    portal_federation("assertion_only", "inprocess")
    assert isinstance(config_loader().shared_security_context.crypto, InProcessCryptoBackend)
    settings.SAML_SIGNATURE_VERIFIER = "xmlsec1"
    assert not isinstance(config_loader().shared_security_context.crypto, InProcessCryptoBackend)
