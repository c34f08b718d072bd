"""The SAML service provider's set-up: trusted IdPs, the development IdP, login, metadata,
cookies, and the configuration built once per process."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import saml2.sigver

from audit.models import AuthEvent, SubEventType
from devidp.saml import DEVELOPMENT_CERT_MARK, generate_key_pair
from identity import saml
from identity.models import User
from tests.saml_idp import Person, TestIdP, sp_saml_config, start_login, subject_for

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
ADELE = Person("Adele.Vance@contoso.com", "Adele", "Vance")


def trust(settings, client, saml_keys, *idps):
    settings.SAML_CONFIG = sp_saml_config(
        settings.SAML_CONFIG, idps=list(idps), sp_key_pair=saml_keys.sp
    )
    sp_metadata = client.get("/saml2/metadata/").content.decode()
    for idp in idps:
        idp.trust_sp(sp_metadata)


def answered_login(client, idp) -> dict:
    """Start a sign-in at the portal and return the IdP's answer, ready to post."""
    request = start_login(client, idp)
    saml_response = idp.response(
        subject_for(ADELE, "entra"),
        sp_entity_id=request.sp_entity_id,
        acs_url=request.destination,
        in_response_to=request.request_id,
    )
    return {"SAMLResponse": saml_response}


def sign_in(client, idp):
    return client.post("/saml2/acs/", answered_login(client, idp))


# --- IdPs offered to the chooser -----------------------------------------------------


def test_configured_idps_lists_each_trusted_idp_by_its_metadata_name(
    settings, client, saml_keys, tmp_path
):
    contoso = TestIdP(
        tmp_path,
        entity_id="https://idp.contoso.test/",
        key_pair=saml_keys.contoso,
        display_name="Contoso",
    )
    fabrikam = TestIdP(
        tmp_path, entity_id="https://idp.fabrikam.test/", key_pair=saml_keys.fabrikam
    )
    trust(settings, client, saml_keys, fabrikam, contoso)

    assert saml.configured_idps() == [
        ("https://idp.contoso.test/", "Contoso"),
        ("https://idp.fabrikam.test/", "https://idp.fabrikam.test/"),
    ]


def test_configured_idps_is_empty_when_saml_is_off(settings):
    settings.SAML_CONFIG = {**settings.SAML_CONFIG, "metadata": {"local": [], "remote": []}}
    assert saml.configured_idps() == []


# --- the development IdP is never trusted in production ------------------------------


@pytest.fixture
def development_idp(tmp_path):
    """An IdP built exactly as devidp builds its own: both development marks."""
    key_pair = generate_key_pair(
        tmp_path, common_name=f"Work Portal development IdP - {DEVELOPMENT_CERT_MARK}", stem="dev"
    )
    return TestIdP(
        tmp_path, entity_id="http://127.0.0.1:8001/metadata", key_pair=key_pair, development=True
    )


def test_development_idp_is_not_trusted_when_debug_is_off(
    settings, client, saml_keys, development_idp, jit_on
):
    settings.DEBUG = False
    trust(settings, client, saml_keys, development_idp)

    assert saml.configured_idps() == []
    # Even a genuine, correctly signed response from it signs nobody in.
    answer = client.post(
        "/saml2/acs/",
        {
            "SAMLResponse": development_idp.response(
                subject_for(ADELE, "entra"),
                sp_entity_id="http://127.0.0.1:8000/saml2/metadata/",
                acs_url="http://127.0.0.1:8000/saml2/acs/",
            )
        },
    )
    assert answer.status_code == 403
    assert b"We could not verify your sign-in" in answer.content
    assert AuthEvent.objects.get().sub_event == SubEventType.INVALID_RESPONSE
    assert not User.objects.exists()


def test_development_idp_is_trusted_while_debugging(
    settings, client, saml_keys, development_idp, jit_on
):
    settings.DEBUG = True
    trust(settings, client, saml_keys, development_idp)

    assert [eid for eid, _ in saml.configured_idps()] == [development_idp.entity_id]
    assert sign_in(client, development_idp).status_code == 302
    assert User.objects.get().username == "Adele.Vance"


def test_either_development_mark_alone_is_enough_to_refuse(settings, client, saml_keys, tmp_path):
    settings.DEBUG = False
    marked_cert = generate_key_pair(
        tmp_path, common_name=f"idp ({DEVELOPMENT_CERT_MARK})", stem="marked"
    )
    by_cert = TestIdP(tmp_path, entity_id="https://by-cert.test/", key_pair=marked_cert)
    by_metadata = TestIdP(
        tmp_path,
        entity_id="https://by-metadata.test/",
        key_pair=saml_keys.fabrikam,
        development=True,
    )
    honest = TestIdP(tmp_path, entity_id="https://idp.contoso.test/", key_pair=saml_keys.contoso)
    trust(settings, client, saml_keys, by_cert, by_metadata, honest)

    assert [eid for eid, _ in saml.configured_idps()] == ["https://idp.contoso.test/"]


def test_the_shipped_development_idp_carries_both_marks(tmp_path):
    from devidp.saml import DEVELOPMENT_ENTITY_ATTRIBUTE, development_idp

    idp = development_idp(base_url="http://127.0.0.1:8001", state_dir=tmp_path)
    metadata = idp.metadata_xml()
    assert DEVELOPMENT_ENTITY_ATTRIBUTE in metadata
    assert (
        DEVELOPMENT_CERT_MARK in idp.key_pair.cert_file.read_text()
        or _subject_of(idp.key_pair.cert_file).find(DEVELOPMENT_CERT_MARK) >= 0
    )


def _subject_of(cert_file) -> str:
    from cryptography import x509

    return x509.load_pem_x509_certificate(Path(cert_file).read_bytes()).subject.rfc4514_string()


# --- login, metadata, cookies --------------------------------------------------------


def test_login_without_any_idp_configured_is_not_found(client, settings):
    settings.SAML_CONFIG = {**settings.SAML_CONFIG, "metadata": {"local": [], "remote": []}}
    assert client.get("/saml2/login/").status_code == 404


def test_login_for_an_unknown_idp_is_not_found(client, saml_idp):
    assert client.get("/saml2/login/", {"idp": "https://evil.example/"}).status_code == 404


def test_login_with_several_idps_and_none_chosen_goes_to_the_chooser(
    settings, client, saml_keys, tmp_path
):
    contoso = TestIdP(tmp_path, entity_id="https://idp.contoso.test/", key_pair=saml_keys.contoso)
    fabrikam = TestIdP(
        tmp_path, entity_id="https://idp.fabrikam.test/", key_pair=saml_keys.fabrikam
    )
    trust(settings, client, saml_keys, contoso, fabrikam)

    answer = client.get("/saml2/login/", {"next": "/console/"})

    assert answer.status_code == 302
    assert answer["Location"] == "/login/?next=%2Fconsole%2F"


def test_login_redirects_to_the_idp_with_a_signed_request_and_keeps_state_in_the_session(
    client, saml_idp
):
    answer = client.get("/saml2/login/", {"idp": saml_idp.entity_id})

    assert answer.status_code == 302
    assert answer["Location"].startswith("https://idp.contoso.test/saml/sso/redirect?SAMLRequest=")
    assert "Signature=" in answer["Location"]
    cookie = answer.cookies["saml_session"]
    assert cookie["samesite"] == "Lax"  # plain http in tests: see docs/saml.md
    assert cookie["httponly"]


def test_metadata_describes_the_sp_with_its_acs_and_certificate(client, saml_idp, saml_keys):
    answer = client.get("/saml2/metadata/")

    assert answer.status_code == 200
    body = answer.content.decode()
    assert 'entityID="http://127.0.0.1:8000/saml2/metadata/"' in body
    assert 'Location="http://127.0.0.1:8000/saml2/acs/"' in body
    assert 'WantAssertionsSigned="true"' in body
    cert = "".join(saml_keys.sp.cert_pem.splitlines()[1:-1])
    assert cert in body.replace("\n", "")


def _settings_in_fresh_process(env: dict[str, str], expression: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SAML_"))}
    environment.update({"DJANGO_SETTINGS_MODULE": "config.settings", **env})
    return subprocess.run(
        [
            sys.executable,
            "-c",
            f"import django; django.setup(); from django.conf import settings; print({expression})",
        ],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_over_https_the_saml_cookie_is_samesite_none_and_secure(saml_keys):
    result = _settings_in_fresh_process(
        {
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": "x" * 50,
            "PUBLIC_URL": "https://portal.example.com",
            "DJANGO_ALLOWED_HOSTS": "portal.example.com",
            "SAML_IDP_METADATA": "https://login.example.com/federationmetadata.xml",
            "SAML_SP_KEY_FILE": str(saml_keys.sp.key_file),
            "SAML_SP_CERT_FILE": str(saml_keys.sp.cert_file),
        },
        "repr((settings.SAML_SESSION_COOKIE_SAMESITE, settings.SESSION_COOKIE_SECURE))",
    )
    assert result.stdout.strip() == "('None', True)", result.stderr


def test_production_with_saml_but_no_sp_key_pair_stops_with_a_clear_message():
    result = _settings_in_fresh_process(
        {
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": "x" * 50,
            "SAML_IDP_METADATA": "https://login.example.com/federationmetadata.xml",
        },
        "1",
    )
    assert result.returncode != 0
    assert "SAML_SP_KEY_FILE" in result.stderr


# --- built once per process ------------------------------------------------------------


def test_the_configuration_is_built_once_and_reused(saml_idp):
    assert saml.config_loader() is saml.config_loader()


def test_the_configuration_is_rebuilt_on_demand_and_when_due(saml_idp, settings, monkeypatch):
    first = saml.config_loader()
    saml.reload_config()
    second = saml.config_loader()
    assert second is not first

    settings.SAML_METADATA_REFRESH_SECONDS = 60
    third = saml.config_loader()
    clock = saml.time.monotonic() + 61
    monkeypatch.setattr(saml.time, "monotonic", lambda: clock)
    assert saml.config_loader() is not third


def test_an_acs_post_loads_no_key_and_asks_xmlsec1_no_version(
    saml_idp, client, jit_on, monkeypatch
):
    """The cached configuration must stay in use (pysaml2 is pinned; see identity/saml.py)."""
    sign_in(client, saml_idp)  # warm: the configuration is built once
    client.logout()
    answer = answered_login(client, saml_idp)  # the IdP's own signing runs xmlsec1 too
    key_loads, commands = [], []
    real_load, real_popen = saml2.sigver.import_rsa_key_from_file, saml2.sigver.Popen
    monkeypatch.setattr(
        saml2.sigver,
        "import_rsa_key_from_file",
        lambda *a, **k: key_loads.append(a) or real_load(*a, **k),
    )
    monkeypatch.setattr(
        saml2.sigver,
        "Popen",
        lambda args, *a, **k: commands.append(args) or real_popen(args, *a, **k),
    )

    assert client.post("/saml2/acs/", answer).status_code == 302

    assert key_loads == []
    assert not [c for c in commands if "--version" in c]


def test_an_unknown_preset_stops_start_up_with_a_clear_message():
    result = _settings_in_fresh_process(
        {"DJANGO_DEBUG": "true", "SAML_IDP_PRESETS": "https://idp.contoso.test/=octa"}, "1"
    )
    assert result.returncode != 0
    assert "SAML_IDP_PRESETS" in result.stderr and "okta" in result.stderr


def test_presets_are_read_as_entity_id_equals_preset():
    result = _settings_in_fresh_process(
        {"DJANGO_DEBUG": "true", "SAML_IDP_PRESETS": "https://sts.windows.net/t/=entra, x=adfs"},
        "sorted(settings.SAML_IDP_PRESETS.items())",
    )
    assert result.stdout.strip() == "[('https://sts.windows.net/t/', 'entra'), ('x', 'adfs')]"
