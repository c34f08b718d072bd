"""Many sign-ins verified at once in one server process: no wrong verdict, no cross-talk.

A real gunicorn process (one worker, eight threads, the in-process verifier) takes
SP-initiated sign-ins from eight client threads at once; each client alternates genuine
responses (each for a person of its own) with hostile ones from the corpus. Every
genuine one must sign in exactly its person, every forged one must be refused, and the
database must end with exactly the people who signed in.
"""

import copy
import sqlite3
import threading

import pytest
import requests

from tests import xmlsig_corpus as corpus

# The two-server test's fixture: a migrated SQLite file database, JIT on, SAML settings.
from tests.identity.test_saml_servers import server_env, start_server  # noqa: F401

CLIENTS = 8
ROUNDS = 2
HOSTILE = [
    corpus.tampered_name_id,
    corpus.other_key_with_embedded_cert,
    corpus.forged_same_id_signed_in_extensions,
    corpus.response_wrapping_new_id,
    corpus.forged_in_place_signed_in_signature_object,
]


@pytest.fixture
def threaded_server(server_env, tmp_path):  # noqa: F811
    """One gunicorn worker process with eight threads, trusting the corpus IdP."""
    _, env, database = server_env
    federation = corpus.Federation(
        tmp_path / "corpus",
        sp_entity_id=f"{env['PUBLIC_URL']}/saml2/metadata/",
        acs_url=f"{env['PUBLIC_URL']}/saml2/acs/",
    )
    env = {
        **env,
        "SAML_IDP_METADATA": str(federation.idp_metadata),
        "SAML_SIGNATURE_VERIFIER": "inprocess",
        "GUNICORN_CMD_ARGS": f"--worker-class gthread --threads {CLIENTS}",
    }
    process, url = start_server(env, tmp_path / "server.log")
    federation.trust_sp(requests.get(f"{url}/saml2/metadata/", timeout=30).text)
    yield federation, url, database
    process.terminate()
    process.wait(timeout=20)


def sign_in(url, federation, build):
    """Run one SP-initiated sign-in whose response `build` makes; return (status, location)."""
    browser = requests.Session()
    start = browser.get(f"{url}/saml2/login/", allow_redirects=False, timeout=60)
    assert start.status_code == 302, start.text[:300]
    request = federation.idp.read_request(start.headers["Location"])
    mine = copy.copy(federation)  # the IdP objects are shared; the request ID is not
    mine.in_response_to = request.request_id
    xml = build(mine)
    answer = browser.post(
        f"{url}/saml2/acs/",
        data={"SAMLResponse": corpus.post_body(xml), "RelayState": request.relay_state},
        allow_redirects=False,
        timeout=60,
    )
    return answer.status_code, answer.headers.get("Location")


def test_eight_threads_verifying_genuine_and_forged_responses_get_no_wrong_answer(
    threaded_server, tmp_path
):
    federation, url, database = threaded_server
    wrong, expected_people = [], set()
    barrier = threading.Barrier(CLIENTS)
    lock = threading.Lock()

    def client(number: int) -> None:
        barrier.wait()
        for round_ in range(ROUNDS):
            person = f"person{number}.{round_}@example.test"

            def genuine(fed, person=person):
                return fed.signed_response(name_id=person)

            status, location = sign_in(url, federation, genuine)
            with lock:
                expected_people.add(person)
                if (status, location) != (302, "/"):
                    wrong.append(("genuine", person, status))
            attack = HOSTILE[(number + round_) % len(HOSTILE)]
            status, _ = sign_in(url, federation, attack)
            if status != 403:
                with lock:
                    wrong.append((attack.__name__, status))

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert wrong == []
    with sqlite3.connect(database) as db:
        people = {f"{u}@{d}" for u, d in db.execute("SELECT username, domain FROM identity_user")}
        refused = db.execute(
            "SELECT count(*) FROM audit_authevent WHERE sub_event = 'invalid_response'"
        ).fetchone()[0]
    assert people == expected_people
    assert refused == CLIENTS * ROUNDS
