"""Fixtures for SAML sign-in: a real SP key pair and real test IdPs (tests/saml_idp.py)."""

from dataclasses import dataclass

import pytest

from tests.saml_idp import KeyPair, TestIdP, generate_key_pair, sp_saml_config, start_login


@dataclass(frozen=True)
class SamlKeys:
    sp: KeyPair
    contoso: KeyPair
    fabrikam: KeyPair
    intruder: KeyPair


@pytest.fixture(scope="session")
def saml_keys(tmp_path_factory) -> SamlKeys:
    """Key pairs generated once per test run (RSA generation is slow)."""
    directory = tmp_path_factory.mktemp("saml-keys")
    return SamlKeys(
        **{
            name: generate_key_pair(directory, common_name=f"{name} test", stem=name)
            for name in ("sp", "contoso", "fabrikam", "intruder")
        }
    )


@pytest.fixture
def saml_idp(settings, saml_keys, tmp_path, client) -> TestIdP:
    """A test IdP trusted by the portal, which trusts the portal back."""
    idp = TestIdP(
        tmp_path,
        entity_id="https://idp.contoso.test/",
        key_pair=saml_keys.contoso,
        display_name="Contoso",
    )
    settings.SAML_CONFIG = sp_saml_config(
        settings.SAML_CONFIG, idps=[idp], sp_key_pair=saml_keys.sp
    )
    idp.trust_sp(client.get("/saml2/metadata/").content.decode())
    return idp


@pytest.fixture
def saml_sign_in(client, saml_idp):
    """Sign in through the full SP-initiated flow; return the ACS answer.

    `sign_in(subject, idp=saml_idp, next_path="", **response_options)`.
    """

    def sign_in(subject, *, idp=None, next_path="", **options):
        idp = idp or saml_idp
        request = start_login(client, idp, next_path=next_path)
        saml_response = idp.response(
            subject,
            sp_entity_id=request.sp_entity_id,
            acs_url=request.destination,
            in_response_to=request.request_id,
            **options,
        )
        data = {"SAMLResponse": saml_response}
        if request.relay_state:
            data["RelayState"] = request.relay_state
        return client.post("/saml2/acs/", data)

    return sign_in


# OpenID Connect: a real development provider on loopback (tests/identity/oidc_support.py).
from tests.identity.oidc_support import oidc_provider, oidc_settings, portal  # noqa: E402, F401
