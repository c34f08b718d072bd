"""Benchmark the OpenID Connect callback step against the loopback development provider.

The callback step is what `/oidc/callback/` does: the code exchange at the token
endpoint, the ID token checks (signature against the cached JWKS, aud, iss, times,
nonce), userinfo, provisioning (JIT) and the session. The browser's part (the
redirect to the provider and its login page) is played with `requests` and not timed.

Run (PostgreSQL, the production engine):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/workportal_bench \
        uv run python bench/oidc_callback.py [--sign-ins 200]

It creates a throw-away test database (test_<name>), measures, and drops it. It also
counts the HTTP calls the portal makes to the provider per sign-in.
"""

import argparse
import os
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from devidp.oidc import SAMPLE_PEOPLE, DevelopmentProvider, Person, run_in_thread  # noqa: E402

CLIENT_ID, CLIENT_SECRET = "workportal-bench", "bench-only-secret"


def people(count: int) -> tuple[Person, ...]:
    """`count` distinct people, cycling through the sample claim styles."""
    made = []
    for n in range(count):
        sample = SAMPLE_PEOPLE[n % len(SAMPLE_PEOPLE)]
        claims = {
            name: (
                value.replace("@", f"{n}@", 1).replace("\\", f"\\{n}", 1)
                if name in ("upn", "preferred_username", "unique_name", "email")
                else value
            )
            for name, value in sample.claims.items()
        }
        made.append(Person(key=f"p{n}", style=sample.style, note="", claims=claims))
    return tuple(made)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sign-ins", type=int, default=200)
    args = parser.parse_args()

    provider = DevelopmentProvider(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, people=people(args.sign_ins)
    )
    run_in_thread(provider)
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_DEBUG="true",  # the development provider is refused otherwise
        OIDC_OP_DISCOVERY_URL=provider.discovery_url,
        OIDC_RP_CLIENT_ID=CLIENT_ID,
        OIDC_RP_CLIENT_SECRET=CLIENT_SECRET,
    )
    import django

    django.setup()
    import requests
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from console.services import set_property
    from identity.models import User

    def browser_part(client: Client, person: str) -> str:
        authorize = client.get("/oidc/authenticate/")["Location"]
        parts = urlsplit(authorize)
        answer = requests.post(
            f"{parts.scheme}://{parts.netloc}/authorize",
            data={**dict(parse_qsl(parts.query)), "person": person},
            allow_redirects=False,
            timeout=5,
        )
        location = urlsplit(answer.headers["Location"])
        return f"{location.path}?{location.query}"

    def run(label: str, keys: list[str]) -> None:
        timings, calls, queries = [], Counter(), []
        for key in keys:
            client = Client(HTTP_HOST="127.0.0.1")
            callback = browser_part(client, key)
            before = Counter(provider.requests)
            with CaptureQueriesContext(connection) as captured:
                t0 = time.perf_counter()
                response = client.get(callback)
                timings.append((time.perf_counter() - t0) * 1000)
            queries.append(len(captured.captured_queries))
            if response.status_code != 302:
                raise SystemExit(f"sign-in of {key} failed: HTTP {response.status_code}")
            calls += Counter(provider.requests) - before
        per = {path: count / len(keys) for path, count in sorted(calls.items())}
        timings.sort()
        print(
            f"{label:24s} median {statistics.median(timings):6.2f} ms  "
            f"p90 {timings[int(len(timings) * 0.9)]:6.2f} ms  (n={len(keys)}), "
            f"{statistics.median(queries):.0f} SQL queries"
        )
        print(f"{'':24s} provider calls per callback: {sum(per.values()):.2f} {per}")

    test_db = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        print(f"engine: {connection.vendor} ({test_db}); provider {provider.base_url}")
        set_property(key="AutoProvisionUsers", value="true")
        keys = list(provider.people)
        run("first sign-in (JIT)", keys)
        run("returning sign-in", keys)
        if User.objects.count() != len(keys):
            raise SystemExit("unexpected number of users")
        total = sum(provider.requests.values())
        print(
            f"whole run: {total} requests to the provider for {2 * len(keys)} sign-ins; "
            f"discovery fetched {provider.requests['/.well-known/openid-configuration']}x, "
            f"JWKS {provider.requests['/jwks']}x"
        )
    finally:
        connection.creation.destroy_test_db(test_db, verbosity=0)
        provider.stop()


if __name__ == "__main__":
    main()
