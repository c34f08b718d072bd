"""Real identity providers for the portal's sign-in and sign-out tests (tests/saml_idp.py)."""

from xml.etree import ElementTree

import pytest

from tests.saml_idp import (
    Person,
    TestIdP,
    generate_key_pair,
    sp_saml_config,
    start_login,
    subject_for,
)

MD = "urn:oasis:names:tc:SAML:2.0:metadata"


def with_single_logout(metadata_xml: str, location: str) -> str:
    """Return IdP metadata that also lists an HTTP-Redirect SingleLogoutService."""
    root = ElementTree.fromstring(metadata_xml)
    descriptor = root.find(f"{{{MD}}}IDPSSODescriptor")
    # The schema's order: KeyDescriptor*, ..., SingleLogoutService*, ..., NameIDFormat*, ...
    position = next(
        i for i, child in enumerate(descriptor) if child.tag != f"{{{MD}}}KeyDescriptor"
    )
    service = ElementTree.Element(
        f"{{{MD}}}SingleLogoutService",
        Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect",
        Location=location,
    )
    descriptor.insert(position, service)
    return ElementTree.tostring(root, encoding="unicode")


@pytest.fixture(scope="session")
def key_pairs(tmp_path_factory):
    directory = tmp_path_factory.mktemp("portal-saml-keys")
    return {
        name: generate_key_pair(directory, common_name=name, stem=name) for name in ("sp", "idp")
    }


@pytest.fixture
def saml_idps(settings, key_pairs, tmp_path, client):
    """Configure the portal to trust real SAML IdPs; return a function that does it.

    `saml_idps(single_logout=False, count=1)` returns the TestIdPs. OIDC is off unless a
    test turns it on.
    """
    settings.OIDC_OP_DISCOVERY_URL = ""

    def configure(*, single_logout: bool = False, count: int = 1) -> list[TestIdP]:
        idps = [
            TestIdP(
                tmp_path,
                entity_id=f"https://idp{n}.contoso.test/" if n else "https://idp.contoso.test/",
                key_pair=key_pairs["idp"],
                display_name=f"Contoso {n}" if n else "Contoso",
            )
            for n in range(count)
        ]
        for idp in idps:
            xml = idp.idp.metadata_xml()
            if single_logout:
                # pysaml2's IdP publishes no logout endpoint; a real IdP that supports
                # single logout lists one in its IDPSSODescriptor.
                xml = with_single_logout(xml, f"{idp.entity_id.rstrip('/')}/saml/slo")
            idp.metadata_file.write_text(xml)
        settings.SAML_CONFIG = sp_saml_config(
            settings.SAML_CONFIG, idps=idps, sp_key_pair=key_pairs["sp"]
        )
        sp_metadata = client.get("/saml2/metadata/").content.decode()
        for idp in idps:
            idp.trust_sp(sp_metadata)
        return idps

    return configure


@pytest.fixture
def saml_sign_in(client):
    """Sign `upn` in through the full SP-initiated flow at `idp`; return the ACS answer."""

    def sign_in(idp: TestIdP, upn: str, *, next_path: str = ""):
        request = start_login(client, idp, next_path=next_path)
        response = idp.response(
            subject_for(Person(upn, "Test", "Person"), "entra"),
            sp_entity_id=request.sp_entity_id,
            acs_url=request.destination,
            in_response_to=request.request_id,
        )
        data = {"SAMLResponse": response}
        if request.relay_state:
            data["RelayState"] = request.relay_state
        return client.post("/saml2/acs/", data)

    return sign_in
