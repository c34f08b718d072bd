"""The README walkthrough in a real browser, through the real development IdPs.

The portal runs in a live server on an ephemeral loopback port, on the suite's
database (SQLite, or PostgreSQL when DATABASE_URL says so); the development SAML IdP
(devidp/saml.py) and the development OpenID Connect provider (devidp/oidc.py) run
beside it on ephemeral ports. Debian's chromium does what docs/demo.md tells a
newcomer to do.
"""

import copy

import pytest
from playwright.sync_api import expect
from pytest_django.live_server_helper import LiveServer

from audit.models import AuthEvent, EventType, SubEventType
from devidp.oidc import DevelopmentProvider
from devidp.oidc import run_in_thread as run_oidc_provider
from devidp.saml import generate_key_pair
from devidp.saml import run_in_thread as run_saml_idp
from identity.models import User
from portal.demo import ensure_console_admin, seed_demo
from portal.models import WorkItemStatus
from tests.browser import CHROMIUM, chromium
from tests.portal.walkthrough import (
    NEW_HIRE_DOMAIN,
    NEW_HIRE_USERNAME,
    ROLE_WORK,
    run_walkthrough,
)

ADMIN, PASSWORD = "admin@demo.local", "walkthrough-Passw0rd"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's chromium: scripts/bootstrap.sh --browser"
    ),
]


@pytest.fixture
def portal(transactional_db, settings, tmp_path):
    """The portal on 127.0.0.1 (the IdPs' site too: SameSite cookies count hosts, not ports)."""
    server = LiveServer("127.0.0.1:0")
    base, configured = server.url, settings.PUBLIC_URL
    # The development IdPs are trusted only while debugging, as in the demo.
    settings.DEBUG = True
    settings.PUBLIC_URL = base
    settings.CSRF_TRUSTED_ORIGINS = [base]

    saml_idp, stop_saml_idp = run_saml_idp(
        sp_metadata=f"{base}/saml2/metadata/", state_dir=tmp_path / "saml-idp"
    )
    sp = generate_key_pair(tmp_path, common_name="Work Portal SP (test)", stem="sp")
    config = copy.deepcopy(settings.SAML_CONFIG)
    config["entityid"] = config["entityid"].replace(configured, base)
    for name, endpoints in config["service"]["sp"]["endpoints"].items():
        config["service"]["sp"]["endpoints"][name] = [
            (url.replace(configured, base), binding) for url, binding in endpoints
        ]
    config["metadata"] = {"remote": [{"url": f"{saml_idp}/metadata"}]}
    config["key_file"], config["cert_file"] = str(sp.key_file), str(sp.cert_file)
    config["encryption_keypairs"] = [{"key_file": str(sp.key_file), "cert_file": str(sp.cert_file)}]
    settings.SAML_CONFIG = config

    oidc = DevelopmentProvider(client_id="workportal-test", client_secret="test-secret")
    run_oidc_provider(oidc)
    settings.OIDC_OP_DISCOVERY_URL = oidc.discovery_url
    settings.OIDC_RP_CLIENT_ID, settings.OIDC_RP_CLIENT_SECRET = oidc.client_id, "test-secret"
    settings.OIDC_PROVIDER_NAME = "Development OpenID Connect provider"

    seed_demo()
    ensure_console_admin(principal=ADMIN, password=PASSWORD)
    yield base
    oidc.stop()
    stop_saml_idp()
    server.stop()


def test_the_readme_walkthrough_in_a_browser(portal):
    with chromium() as browser:
        page = browser.new_page()
        walkthrough = run_walkthrough(page, base_url=portal, admin=ADMIN, password=PASSWORD)

        # "Try more": with JIT on, a person from the OpenID Connect provider gets an account too.
        page.goto(f"{portal}/")
        page.get_by_role("link", name="Development OpenID Connect provider").click()
        page.get_by_role("button", name="Sign in as Megan Bowen").click()
        expect(page.get_by_test_id("auto-provisioned")).to_be_visible()
        expect(page.get_by_test_id("roles")).to_contain_text("Employee")

    megan = User.objects.get(auto_provisioned=True, provisioned_protocol="oidc")
    assert megan.full_name == "Megan Bowen"

    nestor = User.objects.principal(NEW_HIRE_USERNAME, NEW_HIRE_DOMAIN).get()
    assert nestor.is_active and nestor.auto_provisioned
    assert nestor.provisioned_protocol == "saml2"
    assert [role.name for role in nestor.roles.all()] == ["Employee"]
    assert nestor.claimed_work_items.get(title=ROLE_WORK[0]).status == WorkItemStatus.DONE

    events = AuthEvent.objects.filter(username__iexact=NEW_HIRE_USERNAME).order_by("id")
    assert [(event.event_type, event.sub_event) for event in events] == [
        (EventType.FAILED_LOGIN, SubEventType.USER_NOT_FOUND),
        (EventType.LOGIN, SubEventType.AUTO_PROVISIONED),
        (EventType.LOGOFF, SubEventType.LOGOFF),
    ]
    refused = events[0]
    assert walkthrough.refusal_reference.endswith(f": {refused.pk}")
    assert refused.user is None
    assert events[1].detail["roles_granted"] == ["Employee"]
    assert [row["sub_event"] for row in walkthrough.auth_log] == [
        "logoff", "auto_provisioned", "user_not_found",
    ]
