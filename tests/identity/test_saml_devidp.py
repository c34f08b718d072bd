"""The development SAML IdP: loopback only, marked DEVELOPMENT ONLY, metadata at /metadata."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from devidp.saml import DEVELOPMENT_ENTITY_ATTRIBUTE, SAMPLE_PEOPLE, STYLES, run_in_thread

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def devidp(tmp_path):
    url, stop = run_in_thread(state_dir=tmp_path)
    yield url
    stop()


def test_it_serves_marked_metadata_at_metadata(devidp):
    answer = requests.get(f"{devidp}/metadata", timeout=10)

    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/xml")
    assert f'entityID="{devidp}/metadata"' in answer.text
    assert DEVELOPMENT_ENTITY_ATTRIBUTE in answer.text
    assert f'Location="{devidp}/sso/redirect"' in answer.text


def test_every_page_says_development_only(devidp):
    for path in ("/", "/nowhere", "/sso/redirect?SAMLRequest=garbage"):
        answer = requests.get(f"{devidp}{path}", timeout=10)
        assert "DEVELOPMENT ONLY" in answer.text, path


def test_it_binds_loopback_only(devidp):
    assert devidp.startswith("http://127.0.0.1:")


def test_sample_people_cover_the_idp_styles_and_a_new_hire():
    styles = {style for style, _ in SAMPLE_PEOPLE}
    assert {"entra", "adfs", "okta", "nameid"} <= styles <= set(STYLES)
    assert any("no account" in person.note for _, person in SAMPLE_PEOPLE)


def test_the_command_runs_it_on_the_given_port(tmp_path):
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "devidp.saml",
            "--port",
            "0",
            "--state-dir",
            str(tmp_path),
            "--sp-metadata",
            str(tmp_path / "sp.xml"),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        line = process.stdout.readline()
        url = re.search(r"at (http://127\.0\.0\.1:\d+)", line).group(1)
        assert "DEVELOPMENT ONLY" in line
        assert requests.get(f"{url}/metadata", timeout=10).status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=10)
