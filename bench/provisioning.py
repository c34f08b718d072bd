"""Benchmark the provisioning service: queries per sign-in and sign-ins per second.

Run (PostgreSQL, the production engine):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/workportal_bench \
        uv run python bench/provisioning.py [--sign-ins 2000]

It creates a throw-away test database (test_<name>), measures, and drops it.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from console.services import set_property  # noqa: E402
from identity.claims import Identity  # noqa: E402
from identity.models import Role, User  # noqa: E402
from provisioning.services import Decision, provision_user  # noqa: E402


def identity(n: int | str) -> Identity:
    return Identity(
        username=f"Bench.User{n}",
        domain="Contoso.com",
        email=f"bench.user{n}@contoso.com",
        idp="https://idp.bench",
        protocol="saml2",
        claims_used={"username": "upn"},
    )


def queries_for(ident: Identity, expected: Decision) -> int:
    with CaptureQueriesContext(connection) as ctx:
        outcome = provision_user(identity=ident)
    if outcome.decision is not expected:
        raise SystemExit(f"expected {expected}, got {outcome.decision}")
    return len(ctx.captured_queries)


def rate(count: int, make) -> tuple[float, float]:
    """Return (sign-ins per second, median ms) over `count` calls of provision_user."""
    timings = []
    start = time.perf_counter()
    for n in range(count):
        ident = make(n)
        t0 = time.perf_counter()
        provision_user(identity=ident)
        timings.append(time.perf_counter() - t0)
    elapsed = time.perf_counter() - start
    return count / elapsed, statistics.median(timings) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sign-ins", type=int, default=2000)
    args = parser.parse_args()

    test_db = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        print(f"engine: {connection.vendor} ({test_db})")
        roles = [Role.objects.create(name=f"BenchRole{i}") for i in range(10)]
        set_property(key="AutoProvisionUsers", value="true")

        print("queries per sign-in (provision_user only; login() and the session are the view's):")
        rows = []
        for count in (0, 1, 10):
            names = ",".join(role.name for role in roles[:count])
            set_property(key="RolesForAutoProvisionedUsers", value=names)
            rows.append(
                (
                    f"first sign-in, {count} default roles",
                    queries_for(identity(f"q{count}"), Decision.CREATE),
                )
            )
        rows.append(("returning sign-in", queries_for(identity("q0"), Decision.SIGN_IN)))
        for label, queries in rows:
            print(f"  {label:34s} {queries}")

        set_property(key="RolesForAutoProvisionedUsers", value="BenchRole0")
        per_s, median = rate(args.sign_ins, lambda n: identity(f"new{n}"))
        print(
            f"first-time sign-ins: {per_s:7.0f}/s  median {median:.2f} ms "
            f"(n={args.sign_ins}, 1 default role)"
        )
        per_s, median = rate(args.sign_ins, lambda n: identity(f"new{n % 100}"))
        print(f"returning sign-ins:  {per_s:7.0f}/s  median {median:.2f} ms (n={args.sign_ins})")
        if User.objects.count() != args.sign_ins + 3:
            raise SystemExit("unexpected number of users")
    finally:
        connection.creation.destroy_test_db(test_db, verbosity=0)


if __name__ == "__main__":
    main()
