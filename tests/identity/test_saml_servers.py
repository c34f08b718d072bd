"""Several app servers: a sign-in started on one server process finishes on another.

Two real gunicorn processes share nothing but the database (a SQLite file here,
PostgreSQL in production). The browser's GET /saml2/login/ goes to the first, the
IdP's POST to the ACS goes to the second: the SAML request state (the outstanding
AuthnRequest ID) must travel in the database-backed session, not in process memory.
"""

import os
import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.saml_idp import Person, TestIdP, subject_for

ROOT = Path(__file__).resolve().parents[2]
PUBLIC_URL = "http://127.0.0.1:8000"  # what the load balancer would answer on


@pytest.fixture
def server_env(tmp_path, saml_keys):
    idp = TestIdP(tmp_path, entity_id="https://idp.contoso.test/", key_pair=saml_keys.contoso)
    database = tmp_path / "shared.sqlite3"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SAML_"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": "two-servers-test-" + "x" * 40,
            "DATABASE_URL": f"sqlite:///{database}",
            "PUBLIC_URL": PUBLIC_URL,
            "SAML_IDP_METADATA": str(idp.metadata_file),
            "SAML_SP_KEY_FILE": str(saml_keys.sp.key_file),
            "SAML_SP_CERT_FILE": str(saml_keys.sp.cert_file),
        }
    )
    manage = [sys.executable, "manage.py"]
    for command in (["migrate", "--noinput"], ["properties", "set", "AutoProvisionUsers", "true"]):
        subprocess.run(
            manage + command, cwd=ROOT, env=env, check=True, capture_output=True, timeout=120
        )
    return idp, env, database


def start_server(env, log: Path) -> tuple[subprocess.Popen, str]:
    """Start one gunicorn process on an ephemeral loopback port; return it and its URL."""
    handle = log.open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--bind",
            "127.0.0.1:0",
            "--workers",
            "1",
        ],
        cwd=ROOT,
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = re.search(r"Listening at: (http://127\.0\.0\.1:\d+)", log.read_text())
        if found:
            return process, found.group(1)
        if process.poll() is not None:
            break
        time.sleep(0.1)
    process.kill()
    raise AssertionError(f"gunicorn did not start:\n{log.read_text()}")


@pytest.fixture
def two_servers(server_env, tmp_path):
    idp, env, database = server_env
    started = [start_server(env, tmp_path / f"server-{n}.log") for n in (1, 2)]
    yield idp, [url for _, url in started], database
    for process, _ in started:
        process.terminate()
        process.wait(timeout=20)


def test_a_sign_in_started_on_one_server_finishes_on_another(two_servers):
    idp, (first, second), database = two_servers
    browser = requests.Session()
    idp.trust_sp(browser.get(f"{first}/saml2/metadata/", timeout=30).text)

    start = browser.get(
        f"{first}/saml2/login/",
        params={"idp": idp.entity_id, "next": "/"},
        allow_redirects=False,
        timeout=30,
    )
    assert start.status_code == 302, start.text[:500]
    request = idp.read_request(start.headers["Location"])
    saml_response = idp.response(
        subject_for(Person("Megan.Bowen@contoso.com", "Megan", "Bowen"), "adfs"),
        sp_entity_id=request.sp_entity_id,
        acs_url=request.destination,
        in_response_to=request.request_id,
    )

    finish = browser.post(
        f"{second}/saml2/acs/",
        data={"SAMLResponse": saml_response, "RelayState": request.relay_state},
        allow_redirects=False,
        timeout=30,
    )

    assert finish.status_code == 302, finish.text[:500]
    assert finish.headers["Location"] == "/"
    home = browser.get(f"{first}/", allow_redirects=False, timeout=30)
    assert home.status_code == 200
    assert "Megan Bowen" in home.text
    with sqlite3.connect(database) as db:
        rows = db.execute("SELECT username, domain, auto_provisioned FROM identity_user").fetchall()
        events = db.execute("SELECT sub_event FROM audit_authevent").fetchall()
    assert rows == [("Megan.Bowen", "contoso.com", 1)]
    assert events == [("auto_provisioned",)]

    # The same response posted again, to either server, is refused.
    again = requests.post(
        f"{first}/saml2/acs/",
        data={"SAMLResponse": saml_response},
        allow_redirects=False,
        timeout=30,
    )
    assert again.status_code == 403
    assert "We could not verify your sign-in" in again.text
