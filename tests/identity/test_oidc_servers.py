"""Several app servers: an OIDC sign-in started on one server process finishes on another.

Two real gunicorn processes share nothing but the database (a SQLite file here,
PostgreSQL in production). The state, nonce and PKCE verifier must travel in the
database-backed session; each process reads the provider's discovery document and
keys on its own. Both are reached under one Host, as behind a load balancer, so the
redirect URI is the same whichever server builds it.
"""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from devidp.oidc import DevelopmentProvider, run_in_thread
from tests.identity.oidc_support import CLIENT_ID, CLIENT_SECRET, choose_person
from tests.identity.test_saml_servers import start_server

ROOT = Path(__file__).resolve().parents[2]
BALANCED_HOST = "127.0.0.1:8000"  # the Host the load balancer passes on


@pytest.fixture
def provider():
    provider = DevelopmentProvider(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    run_in_thread(provider)
    yield provider
    provider.stop()


@pytest.fixture
def two_servers(provider, tmp_path):
    database = tmp_path / "shared.sqlite3"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "OIDC_", "SAML_"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DJANGO_DEBUG": "true",  # the development provider is refused otherwise
            "DATABASE_URL": f"sqlite:///{database}",
            "PUBLIC_URL": f"http://{BALANCED_HOST}",
            "OIDC_OP_DISCOVERY_URL": provider.discovery_url,
            "OIDC_RP_CLIENT_ID": CLIENT_ID,
            "OIDC_RP_CLIENT_SECRET": CLIENT_SECRET,
        }
    )
    for command in (["migrate", "--noinput"], ["properties", "set", "AutoProvisionUsers", "true"]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True,
                       capture_output=True, timeout=120)
    started = [start_server(env, tmp_path / f"server-{n}.log") for n in (1, 2)]
    yield [url for _, url in started], database
    for process, _ in started:
        process.terminate()
        process.wait(timeout=20)


def test_an_oidc_sign_in_started_on_one_server_finishes_on_another(two_servers, provider):
    (first, second), database = two_servers
    browser = requests.Session()
    browser.headers["Host"] = BALANCED_HOST

    start = browser.get(f"{first}/oidc/authenticate/", allow_redirects=False, timeout=30)
    assert start.status_code == 302, start.text[:500]
    callback = choose_person(start.headers["Location"], "john")
    finish = browser.get(f"{second}{callback}", allow_redirects=False, timeout=30)

    assert finish.status_code == 302, finish.text[:500]
    assert urlsplit(finish.headers["Location"]).path == "/"
    home = browser.get(f"{first}/", allow_redirects=False, timeout=30)
    assert home.status_code == 200
    assert "John Doe" in home.text
    with sqlite3.connect(database) as db:
        users = db.execute("SELECT username, domain, auto_provisioned FROM identity_user").fetchall()
        events = db.execute("SELECT sub_event FROM audit_authevent").fetchall()
    assert users == [("john.doe", "fabrikam.com", 1)]
    assert events == [("auto_provisioned",)]
    # The first server fetched discovery to start; only the second needed the keys.
    assert provider.requests["/.well-known/openid-configuration"] == 2
    assert provider.requests["/jwks"] == 1
