"""Benchmark the console's list pages on a large authentication log.

Run (PostgreSQL, the production engine; the database is created when missing and
kept between runs, so only the first run pays for seeding):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/workportal_console_bench \
        uv run python bench/console_pages.py [--events 1000000] [--users 100000] \
        [--requests 25] [--reseed]

It seeds the data set in a few SQL statements (generate_series), then requests each
page in-process through Django's full stack (middleware, session, view, template)
and reports the server time: median and 95th percentile of --requests requests after
three warm-up requests, the median CPU time of the Django process alone (PostgreSQL's
work excluded; steadier than wall time on a busy machine), the number of SQL queries, and whether PostgreSQL plans
any of them as a sequential scan of the events table.
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
import psycopg  # noqa: E402
from django.conf import settings  # noqa: E402

DOMAINS = ["contoso.com", "fabrikam.com", "northwind.example", "CONTOSO", "tailspin.example"]


def ensure_database() -> None:
    """Create the benchmark database when it does not exist yet."""
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        raise SystemExit("This benchmark needs PostgreSQL: set DATABASE_URL=postgres://...")
    with psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        user=db["USER"],
        password=db["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    ) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]])
        if exists.fetchone() is None:
            conn.execute(f'CREATE DATABASE "{db["NAME"]}"')


def seed(*, events: int, users: int) -> None:
    """Fill users, roles and events with generate_series: a year of sign-ins."""
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE audit_authevent, audit_changelogentry, identity_user_roles, "
            "identity_user_groups, identity_user_user_permissions, django_session, "
            "identity_user, identity_role RESTART IDENTITY CASCADE"
        )
        cursor.execute(
            "INSERT INTO identity_role (name, display_name, description) "
            "SELECT 'Role' || i, 'Role ' || i, '' FROM generate_series(1, 20) AS i"
        )
        # Users joined over the last year; one in three came through JIT.
        cursor.execute(
            """
            INSERT INTO identity_user (password, is_superuser, username, domain, email,
                full_name, is_active, is_staff, date_joined, auto_provisioned,
                provisioned_idp, provisioned_protocol)
            SELECT '!', false, 'user' || i, (%(domains)s::text[])[1 + i %% 5],
                'user' || i || '@mail.example', 'Person ' || i, i %% 50 <> 0, false,
                now() - (i * (interval '365 days' / %(users)s)),
                i %% 3 = 0,
                CASE WHEN i %% 3 = 0 THEN 'https://sts.contoso.com/' ELSE '' END,
                CASE WHEN i %% 3 = 0 THEN 'saml2' ELSE '' END
            FROM generate_series(1, %(users)s) AS i
            """,
            {"domains": DOMAINS, "users": users},
        )
        cursor.execute(
            "INSERT INTO identity_user_roles (user_id, role_id) "
            "SELECT id, 1 + id % 20 FROM identity_user"
        )
        # A year of events, newest first: 1 in 10 refused, 1 in 50 a provisioning.
        cursor.execute(
            """
            INSERT INTO audit_authevent (created_at, event_type, sub_event, username, domain,
                user_id, idp, protocol, client_ip, user_agent, detail)
            SELECT now() - (i * (interval '365 days' / %(events)s)),
                CASE WHEN i %% 10 = 0 THEN 'failed_login' ELSE 'login' END,
                CASE WHEN i %% 10 = 0 THEN
                        (ARRAY['user_not_found', 'user_not_enabled', 'invalid_response'])[1 + i %% 3]
                     WHEN i %% 50 = 1 THEN 'auto_provisioned'
                     ELSE 'successful_login' END,
                'user' || (1 + i %% %(users)s), (%(domains)s::text[])[1 + (1 + i %% %(users)s) %% 5],
                CASE WHEN i %% 10 = 0 THEN NULL ELSE 1 + i %% %(users)s END,
                CASE WHEN i %% 2 = 0 THEN 'https://sts.contoso.com/' ELSE 'https://login.example/v2.0' END,
                CASE WHEN i %% 2 = 0 THEN 'saml2' ELSE 'oidc' END,
                ('10.0.' || (i %% 250) || '.' || (i %% 200))::inet,
                'Mozilla/5.0 (X11; Linux x86_64) Chrome/120',
                '{"claims_used": {"username": "upn", "email": "UPN"}}'::jsonb
            FROM generate_series(1, %(events)s) AS i
            """,
            {"domains": DOMAINS, "users": users, "events": events},
        )
        # What autovacuum does on a live table: statistics, and the visibility map
        # that lets PostgreSQL answer counts from an index alone.
        cursor.execute("VACUUM ANALYZE")
    print(f"seeded {users:,} users and {events:,} events in {time.perf_counter() - started:.0f} s")


def seeded(*, events: int, users: int) -> bool:
    from audit.models import AuthEvent
    from identity.models import User

    return (
        User.objects.filter(username__startswith="user").count() == users
        and AuthEvent.objects.count() == events
    )


def measure(client, url: str, requests: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(3):
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
    timings = []
    cpu = []
    for _ in range(requests):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        if response.streaming:
            b"".join(response.streaming_content)
        timings.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        if response.streaming:
            b"".join(response.streaming_content)
    timings.sort()
    return {
        "median": statistics.median(timings),
        "cpu": statistics.median(cpu),
        "p95": timings[max(0, round(len(timings) * 0.95) - 1)],
        "queries": len(queries),
        "scans_events": any(scans_events(q["sql"]) for q in queries),
    }


def scans_events(sql: str) -> bool:
    """Return whether PostgreSQL's plan for `sql` reads the whole events table (Seq Scan)."""
    from django.db import connection

    if "audit_authevent" not in sql or not sql.lstrip().upper().startswith("SELECT"):
        return False
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}")
        plan = cursor.fetchone()[0]
    return _seq_scan(plan)


def _seq_scan(node) -> bool:
    if isinstance(node, list):
        return any(_seq_scan(item) for item in node)
    if isinstance(node, dict):
        if node.get("Node Type") == "Seq Scan" and node.get("Relation Name") == "audit_authevent":
            return True
        return any(_seq_scan(value) for value in node.values())
    return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=25)
    parser.add_argument("--reseed", action="store_true", help="seed even when the data is there")
    args = parser.parse_args()

    ensure_database()
    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from identity.models import User

    call_command("migrate", verbosity=0)
    if args.reseed or not seeded(events=args.events, users=args.users):
        seed(events=args.events, users=args.users)
    admin, _ = User.objects.get_or_create(
        username="bench-admin", domain="contoso.com", defaults={"is_staff": True}
    )
    client = Client(SERVER_NAME="127.0.0.1")
    client.force_login(admin)

    some_user = User.objects.filter(username="user4242").values_list("pk", flat=True).first()
    pages = [
        ("auth log, first page", "/console/auth-log/"),
        ("auth log, refused sign-ins", "/console/auth-log/?event_type=failed_login"),
        (
            "auth log, domain + sub-event + dates",
            "/console/auth-log/?domain=FABRIKAM.com&sub_event=user_not_found"
            "&since=2025-01-01&to=2030-01-01",
        ),
        ("auth log, one user", "/console/auth-log/?user=user4242%40northwind.example"),
        ("auth log, page 1 000", "/console/auth-log/?page=1000"),
        ("auth log, CSV of one user", "/console/auth-log/?user=user4242&format=csv"),
        ("auth log, CSV of one day (2 740 rows)",
         "/console/auth-log/?since=2026-06-01&to=2026-06-01&format=csv"),
        ("users, first page", "/console/users/"),
        ("users, search", "/console/users/?q=user4242"),
        (
            "users, domain + active + role",
            "/console/users/?domain=contoso.com&is_active=true&role=3",
        ),
        ("users, sorted by email, page 100", "/console/users/?sort=email&page=100"),
        ("user page", f"/console/users/{some_user}/"),
        ("console home", "/console/"),
    ]
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(
        f"{'page':40} {'median ms':>10} {'p95 ms':>8} {'app CPU ms':>10} {'queries':>8}"
        "  seq scan of events?"
    )
    for label, url in pages:
        result = measure(client, url, args.requests)
        print(
            f"{label:40} {result['median']:10.1f} {result['p95']:8.1f} {result['cpu']:10.1f}"
            f" {result['queries']:8d}"
            f"  {'YES' if result['scans_events'] else 'no'}"
        )
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
