"""Benchmark one SAML ACS POST: stock djangosaml2 settings vs the portal's, same run.

Run:
    uv run python bench/saml_acs.py [--posts 200]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/workportal_bench uv run python bench/saml_acs.py

Each sign-in is real: the portal's /saml2/login/ issues an AuthnRequest, a pysaml2 IdP
(tests/saml_idp.py, its own generated key pair) answers it with a signed response for a
new person, and that response is posted to /saml2/acs/ through Django's test client
(the whole middleware stack, the database session, JIT provisioning and the audit
event). Only the POST is timed: wall-clock, and CPU (this process plus the xmlsec1
processes it ran), which a busy machine inflates far less. The two configurations alternate post by post, so
both see the same machine load:
- stock:  SAML_CONFIG_LOADER = djangosaml2's default (a new pysaml2 configuration,
          metadata and SP key per request; a new security context per client);
- ours:   identity.saml.config_loader (built once per process, see docs/saml.md).
It creates a throw-away test database (test_<name>), measures, and drops it.
"""

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from console.services import set_property  # noqa: E402
from identity.models import User  # noqa: E402
from tests.saml_idp import (  # noqa: E402
    Person,
    TestIdP,
    generate_key_pair,
    sp_saml_config,
    start_login,
    subject_for,
)

LOADERS = {
    "stock": "djangosaml2.conf.config_settings_loader",
    "ours": "identity.saml.config_loader",
}


def cpu_seconds() -> float:
    """CPU used so far by this process and its finished children (the xmlsec1 runs)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def one_post(client: Client, idp: TestIdP, n: int, label: str) -> tuple[float, float]:
    """Sign a new person in; return the ACS POST's (wall, CPU) seconds."""
    client.cookies.clear()  # a new browser; the same client keeps its middleware loaded
    request = start_login(client, idp)
    person = Person(f"bench.{label}.{n}@contoso.com", "Bench", f"User {n}")
    saml_response = idp.response(
        subject_for(person, "entra"),
        sp_entity_id=request.sp_entity_id,
        acs_url=request.destination,
        in_response_to=request.request_id,
    )
    cpu, started = cpu_seconds(), time.perf_counter()
    answer = client.post("/saml2/acs/", {"SAMLResponse": saml_response})
    elapsed, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    if answer.status_code != 302:
        raise SystemExit(f"{label}: the ACS answered {answer.status_code}: {answer.content[:300]}")
    return elapsed, cpu


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=200, help="timed posts per configuration")
    parser.add_argument("--warm-up", type=int, default=5)
    args = parser.parse_args()

    setup_test_environment()
    test_db = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    directory = Path(tempfile.mkdtemp(prefix="bench-saml-"))
    try:
        sp_keys = generate_key_pair(directory, common_name="bench sp", stem="sp")
        idp = TestIdP(directory, entity_id="https://idp.bench.test/")
        saml_config = sp_saml_config(settings.SAML_CONFIG, idps=[idp], sp_key_pair=sp_keys)
        set_property(key="AutoProvisionUsers", value="true")
        timings: dict[str, list[float]] = {label: [] for label in LOADERS}
        cpu: dict[str, list[float]] = {label: [] for label in LOADERS}
        with override_settings(SAML_CONFIG=saml_config):
            client = Client()
            idp.trust_sp(client.get("/saml2/metadata/").content.decode())
            for n in range(args.warm_up + args.posts):
                for label, loader in LOADERS.items():
                    with override_settings(SAML_CONFIG_LOADER=loader):
                        elapsed, used = one_post(client, idp, n, label)
                    if n >= args.warm_up:
                        timings[label].append(elapsed)
                        cpu[label].append(used)
        if User.objects.count() != len(LOADERS) * (args.warm_up + args.posts):
            raise SystemExit("unexpected number of users")

        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(
            f"engine: {connection.vendor}; {args.posts} ACS POSTs per configuration; "
            f"{os.cpu_count()} CPUs, load average {load}"
        )
        print(f"{'configuration':14s} {'median':>9s} {'p90':>9s} {'mean':>9s} {'CPU median':>11s}")
        for label, values in timings.items():
            ms = [v * 1000 for v in values]
            print(
                f"{label:14s} {statistics.median(ms):7.1f}ms {percentile(ms, 0.9):7.1f}ms "
                f"{statistics.fmean(ms):7.1f}ms {statistics.median(cpu[label]) * 1000:9.1f}ms"
            )
        speedup = statistics.median(timings["stock"]) / statistics.median(timings["ours"])
        print(f"ours is {speedup:.1f}x faster (median)")
    finally:
        connection.creation.destroy_test_db(test_db, verbosity=0)


if __name__ == "__main__":
    main()
