"""Configuration of the OpenID Connect provider: discovery, the development guard, tenants."""

import os
import re
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
import requests

from audit.models import AuthEvent, SubEventType
from devidp.oidc import DevelopmentProvider, run_in_thread
from identity.oidc import (
    InvalidResponse,
    ProviderMetadata,
    check_id_token,
    configured_provider,
    provider_metadata,
    reset_provider_cache,
)
from tests.identity.oidc_support import CLIENT_ID, CLIENT_SECRET

PROJECT = Path(__file__).resolve().parents[2]


def test_development_provider_is_refused_when_debug_is_off(oidc_settings, portal):
    oidc_settings.DEBUG = False

    response = portal.get("/oidc/authenticate/")

    assert response.status_code == 502
    event = AuthEvent.objects.get()
    assert event.sub_event == SubEventType.INVALID_RESPONSE
    assert "development provider and DJANGO_DEBUG is off" in event.detail["reason"]


def test_plain_http_provider_is_refused_when_debug_is_off_even_unmarked(settings, db, portal):
    # A development provider stripped of its marker still serves plain http.
    provider = DevelopmentProvider(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, development_marker=False
    )
    run_in_thread(provider)
    settings.DEBUG = False
    settings.OIDC_OP_DISCOVERY_URL = provider.discovery_url
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    try:
        response = portal.get("/oidc/authenticate/")
    finally:
        provider.stop()
        reset_provider_cache()

    assert response.status_code == 502
    assert "does not use https" in AuthEvent.objects.get().detail["reason"]


def settings_import(**env_overrides):
    env = {
        key: value for key, value in os.environ.items()
        if not key.startswith(("OIDC_", "DJANGO_", "DATABASE_URL"))
    }
    env.update({"DJANGO_SECRET_KEY": "x" * 50, "DJANGO_SETTINGS_MODULE": "config.settings",
                **env_overrides})
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=PROJECT, env=env, capture_output=True, text=True, timeout=60,
    )


def test_settings_refuse_an_http_discovery_url_when_debug_is_off():
    result = settings_import(
        DJANGO_DEBUG="false",
        OIDC_OP_DISCOVERY_URL="http://127.0.0.1:8002/.well-known/openid-configuration",
        OIDC_RP_CLIENT_ID="workportal-dev", OIDC_RP_CLIENT_SECRET="development-only-secret",
    )

    assert result.returncode != 0
    assert "must be an https URL when DJANGO_DEBUG is off" in result.stderr


def test_settings_accept_the_development_provider_when_debug_is_on():
    result = settings_import(
        DJANGO_DEBUG="true",
        OIDC_OP_DISCOVERY_URL="http://127.0.0.1:8002/.well-known/openid-configuration",
        OIDC_RP_CLIENT_ID="workportal-dev", OIDC_RP_CLIENT_SECRET="development-only-secret",
    )

    assert result.returncode == 0, result.stderr


def test_settings_require_client_credentials_with_a_discovery_url():
    result = settings_import(
        DJANGO_DEBUG="false",
        OIDC_OP_DISCOVERY_URL="https://login.microsoftonline.com/t/v2.0/.well-known/openid-configuration",
    )

    assert result.returncode != 0
    assert "OIDC_RP_CLIENT_ID or OIDC_RP_CLIENT_SECRET is not" in result.stderr


def test_sign_in_start_is_not_found_when_oidc_is_off(settings, db, portal):
    settings.OIDC_OP_DISCOVERY_URL = ""

    assert portal.get("/oidc/authenticate/").status_code == 404
    assert portal.get("/oidc/callback/?code=a&state=b").status_code == 404


def test_configured_provider_is_none_when_oidc_is_off(settings):
    settings.OIDC_OP_DISCOVERY_URL = ""

    assert configured_provider() is None


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0/.well-known/openid-configuration",
         "Microsoft Entra ID"),
        ("https://sts.contoso.com/adfs/.well-known/openid-configuration", "AD FS"),
        ("http://127.0.0.1:8002/.well-known/openid-configuration",
         "Development sign-in (DEVELOPMENT ONLY)"),
        ("https://id.example.org/.well-known/openid-configuration", "id.example.org"),
    ],
)
def test_configured_provider_names_the_provider_without_the_network(settings, url, name):
    settings.OIDC_OP_DISCOVERY_URL = url
    settings.OIDC_PROVIDER_NAME = ""

    assert configured_provider() == (url.split("/.well-known/")[0], name)


def test_configured_provider_uses_the_operator_name_and_the_discovered_issuer(oidc_settings):
    oidc_settings.OIDC_PROVIDER_NAME = "Contoso sign-in"
    provider_metadata()

    issuer, name = configured_provider()

    assert name == "Contoso sign-in"
    assert issuer == provider_metadata().issuer


# --- multi-tenant Entra ID endpoints ------------------------------------------------

TENANT_A = "11111111-1111-1111-1111-111111111111"
TENANT_B = "22222222-2222-2222-2222-222222222222"
TEMPLATE = "https://login.microsoftonline.com/{tenantid}/v2.0"


@pytest.fixture
def multi_tenant(oidc_settings):
    """The running provider's keys, behind a multi-tenant issuer template."""
    return replace(provider_metadata(), issuer=TEMPLATE)


def tenant_token(provider, tenant, issuer_tenant=None):
    now = int(time.time())
    return provider.sign_id_token({
        "iss": TEMPLATE.replace("{tenantid}", issuer_tenant or tenant), "tid": tenant,
        "aud": CLIENT_ID, "sub": "s", "exp": now + 600, "iat": now, "nonce": "n",
    })


def check(token, metadata: ProviderMetadata, tenants):
    return check_id_token(token, metadata=metadata, client_id=CLIENT_ID, nonce="n",
                          allowed_tenants=tenants)


def test_multi_tenant_token_from_an_allowed_tenant_is_accepted(multi_tenant, oidc_provider):
    claims = check(tenant_token(oidc_provider, TENANT_A), multi_tenant, (TENANT_A,))

    assert claims["tid"] == TENANT_A


@pytest.mark.parametrize(
    ("token_tenant", "issuer_tenant", "allowed", "reason"),
    [
        (TENANT_B, None, (TENANT_A,), "is not in OIDC_ALLOWED_TENANTS"),
        (TENANT_A, None, (), "needs OIDC_ALLOWED_TENANTS"),
        (TENANT_A, TENANT_B, (TENANT_A, TENANT_B), "is not 'https://login.microsoftonline.com/"),
    ],
    ids=["tenant-not-allowed", "no-allow-list", "issuer-of-another-tenant"],
)
def test_multi_tenant_token_is_refused(
    multi_tenant, oidc_provider, token_tenant, issuer_tenant, allowed, reason
):
    with pytest.raises(InvalidResponse, match=re.escape(reason)):
        check(tenant_token(oidc_provider, token_tenant, issuer_tenant), multi_tenant, allowed)


def test_unknown_preset_makes_sign_in_unavailable_before_leaving_for_the_provider(
    oidc_settings, portal
):
    oidc_settings.OIDC_PRESET = "okta"

    response = portal.get("/oidc/authenticate/")

    assert response.status_code == 502
    assert "OIDC_PRESET is wrong: unknown preset 'okta'" in AuthEvent.objects.get().detail["reason"]


def test_development_provider_binds_to_loopback_only():
    with pytest.raises(ValueError, match="loopback only"):
        DevelopmentProvider().serve(host="0.0.0.0")


def test_development_provider_runs_from_the_command_line():
    process = subprocess.Popen(
        [sys.executable, "-m", "devidp.oidc", "--port", "0", "--client-id", "demo"],
        cwd=PROJECT, stdout=subprocess.PIPE, text=True,
    )
    try:
        banner = process.stdout.readline()
        assert banner.startswith("DEVELOPMENT ONLY OpenID Connect provider at http://127.0.0.1:")
        base_url = banner.rsplit(" ", 1)[1].strip()
        document = requests.get(f"{base_url}/.well-known/openid-configuration", timeout=5).json()
        login_page = requests.get(
            f"{base_url}/authorize",
            params={"client_id": "demo", "response_type": "code", "scope": "openid",
                    "redirect_uri": "http://127.0.0.1:8000/oidc/callback/", "state": "s"},
            timeout=5,
        ).text
    finally:
        process.terminate()
        process.wait(timeout=10)

    assert document["issuer"] == base_url
    assert document["development_only"] is True
    assert "DEVELOPMENT ONLY" in login_page
    for person in ("Adele Vance", "Megan Bowen", "John Doe", "Lee Gu", "Pradeep Gupta"):
        assert f"Sign in as {person}" in login_page
    for style in ("Entra ID v1", "Entra ID v2", "AD FS 4"):
        assert style in login_page
