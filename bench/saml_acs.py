"""Benchmark one SAML ACS POST: stock djangosaml2 settings vs the portal's, same run.

Run:
    uv run python bench/saml_acs.py [--posts 200]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/workportal_bench uv run python bench/saml_acs.py

Each sign-in is real: the portal's /saml2/login/ issues an AuthnRequest, a pysaml2 IdP
(tests/saml_idp.py, its own generated key pair) answers it with a signed response for a
new person, and that response is posted to /saml2/acs/ through Django's test client
(the whole middleware stack, the database session, JIT provisioning and the audit
event). Only the POST is timed: wall-clock, and CPU (this process plus the xmlsec1
processes it ran), which a busy machine inflates far less. The configurations take
turns in blocks of --block posts, so all see the same machine load:
- stock: SAML_CONFIG_LOADER = djangosaml2's default (a new pysaml2 configuration,
  metadata and SP key per request; a new security context per client);
- ours: identity.saml.config_loader (built once per process, see docs/saml.md),
  verifying signatures with the xmlsec1 command;
- ours+inprocess: the same, verifying in-process, where SAML_SIGNATURE_VERIFIER
  exists (docs/saml-signatures.md).
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


def configurations() -> dict[str, dict]:
    """Return the settings each measured configuration runs with."""
    configs = {
        "stock": {"SAML_CONFIG_LOADER": "djangosaml2.conf.config_settings_loader"},
        "ours": {"SAML_CONFIG_LOADER": "identity.saml.config_loader"},
    }
    if hasattr(settings, "SAML_SIGNATURE_VERIFIER"):
        # In-process signature verification (docs/saml-signatures.md) is measured apart:
        # "ours" is the cached configuration with the xmlsec1 command.
        configs["ours"]["SAML_SIGNATURE_VERIFIER"] = "xmlsec1"
        configs["ours+inprocess"] = {
            "SAML_CONFIG_LOADER": "identity.saml.config_loader",
            "SAML_SIGNATURE_VERIFIER": "inprocess",
        }
    return configs


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
    parser.add_argument("--block", type=int, default=5, help="posts in a row per configuration")
    args = parser.parse_args()

    setup_test_environment()
    test_db = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    directory = Path(tempfile.mkdtemp(prefix="bench-saml-"))
    try:
        sp_keys = generate_key_pair(directory, common_name="bench sp", stem="sp")
        idp = TestIdP(directory, entity_id="https://idp.bench.test/")
        saml_config = sp_saml_config(settings.SAML_CONFIG, idps=[idp], sp_key_pair=sp_keys)
        set_property(key="AutoProvisionUsers", value="true")
        configs = configurations()
        timings: dict[str, list[float]] = {label: [] for label in configs}
        cpu: dict[str, list[float]] = {label: [] for label in configs}
        rounds = -(-args.posts // args.block)
        with override_settings(SAML_CONFIG=saml_config):
            client = Client()
            idp.trust_sp(client.get("/saml2/metadata/").content.decode())
            for n in range(rounds):
                # Blocks alternate, so every configuration sees the same machine load.
                for label, overrides in configs.items():
                    with override_settings(**overrides):
                        # Untimed: a changed setting may rebuild the configuration.
                        one_post(client, idp, n * (args.block + 1), label)
                        for i in range(1, args.block + 1):
                            elapsed, used = one_post(client, idp, n * (args.block + 1) + i, label)
                            timings[label].append(elapsed)
                            cpu[label].append(used)
        if User.objects.count() != len(configs) * rounds * (args.block + 1):
            raise SystemExit("unexpected number of users")

        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(
            f"engine: {connection.vendor}; {len(timings['stock'])} ACS POSTs per configuration; "
            f"{os.cpu_count()} CPUs, load average {load}"
        )
        print(f"{'configuration':15s} {'median':>9s} {'p90':>9s} {'mean':>9s} {'CPU median':>11s}")
        for label, values in timings.items():
            ms = [v * 1000 for v in values]
            print(
                f"{label:15s} {statistics.median(ms):7.1f}ms {percentile(ms, 0.9):7.1f}ms "
                f"{statistics.fmean(ms):7.1f}ms {statistics.median(cpu[label]) * 1000:9.1f}ms"
            )
        for label in list(configs)[1:]:
            speedup = statistics.median(timings["stock"]) / statistics.median(timings[label])
            print(f"{label} is {speedup:.1f}x faster than stock (median)")
    finally:
        connection.creation.destroy_test_db(test_db, verbosity=0)


if __name__ == "__main__":
    main()
