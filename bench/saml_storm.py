"""The 9:00 login storm: what one SAML sign-in costs, and how many one server process holds.

Run (PostgreSQL, the production engine):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/workportal_bench \
        uv run python bench/saml_storm.py [--posts 100] [--storm-seconds 60] [--clients 4]

Three parts, one run, one throw-away test database (test_<name>, dropped at the end):

1. ACS POST latency, three configurations alternating post by post (same machine load):
   - stock djangosaml2: its default config loader (a new pysaml2 configuration, metadata,
     SP key and security context per request; `xmlsec1 --verify` per signature);
   - ours, xmlsec1: the portal's configuration built once (identity/saml.py) with
     SAML_SIGNATURE_VERIFIER=xmlsec1;
   - ours, in-process: the same with SAML_SIGNATURE_VERIFIER=inprocess (the default).
   Each sign-in is real: /saml2/login/ issues an AuthnRequest, a pysaml2 IdP
   (tests/saml_idp.py) answers it with a response signed twice (response and assertion)
   for a new person, and the response is posted to /saml2/acs/ through Django's test
   client (middleware, database session, JIT provisioning, audit event). Only the POST
   is timed.
2. The storm: gunicorn (one worker process, gthread) on an ephemeral loopback port, on
   the same PostgreSQL database, JIT on. First every sign-in is started (GET
   /saml2/login/, each with its own cookie jar) and answered by the IdP; then
   `--clients` threads post those real signed responses to /saml2/acs/ as fast as the
   server takes them, for `--storm-seconds`. Every answer must be the 302 to the portal;
   any other answer is an error. Reported: sign-ins per second, errors, users created.
3. A profile (cProfile) of in-process ACS POSTs: where the remaining time goes.
"""

import argparse
import cProfile
import io
import os
import pstats
import queue
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only")

import django  # noqa: E402

django.setup()

import requests  # noqa: E402
import xmlsec  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from lxml import etree  # noqa: E402
from saml2.sigver import CryptoBackendXmlSec1  # noqa: E402

from console.services import set_property  # noqa: E402
from identity.models import User  # noqa: E402
from identity.saml import build_sp_config  # noqa: E402
from tests.saml_idp import (  # noqa: E402
    Person,
    TestIdP,
    generate_key_pair,
    sp_saml_config,
    start_login,
    subject_for,
)

ROOT = Path(__file__).resolve().parents[1]
CONFIGURATIONS = ["stock djangosaml2", "ours, xmlsec1", "ours, in-process"]

# --- part 1: ACS POST latency ----------------------------------------------------------

_prebuilt: dict[str, object] = {}
_current = {"name": ""}


def prebuilt_loader(request=None):
    """SAML_CONFIG_LOADER for 'ours': the configuration prebuilt for the current mode."""
    return _prebuilt[_current["name"]]


def cpu_seconds() -> float:
    """CPU used so far by this process and its finished children (the xmlsec1 runs)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def sign_in_with_test_client(
    client: Client, idp: TestIdP, n: int, label: str
) -> tuple[float, float]:
    """Sign a new person in through the ACS; return the POST's (wall, CPU) seconds."""
    client.cookies.clear()
    request = start_login(client, idp)
    person = Person(f"bench.{label.replace(' ', '').replace(',', '-')}.{n}@contoso.com")
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


def loader_settings(label: str) -> dict:
    if label == "stock djangosaml2":
        return {"SAML_CONFIG_LOADER": "djangosaml2.conf.config_settings_loader"}
    _current["name"] = label
    return {"SAML_CONFIG_LOADER": "__main__.prebuilt_loader"}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def measure_latency(idp: TestIdP, saml_config: dict, posts: int, warm_up: int) -> dict:
    _prebuilt["ours, xmlsec1"] = build_sp_config(
        saml_config, trust_development_idps=False, signature_verifier="xmlsec1"
    )
    _prebuilt["ours, in-process"] = build_sp_config(
        saml_config, trust_development_idps=False, signature_verifier="inprocess"
    )
    timings = {label: {"wall": [], "cpu": []} for label in CONFIGURATIONS}
    client = Client()
    for n in range(warm_up + posts):
        for label in CONFIGURATIONS:
            with override_settings(**loader_settings(label)):
                elapsed, cpu = sign_in_with_test_client(client, idp, n, label)
            if n >= warm_up:
                timings[label]["wall"].append(elapsed * 1000)
                timings[label]["cpu"].append(cpu * 1000)
    return timings


def profile_in_process(idp: TestIdP, posts: int) -> str:
    client = Client()
    profiler = cProfile.Profile()
    with override_settings(**loader_settings("ours, in-process")):
        for n in range(posts):
            client.cookies.clear()
            request = start_login(client, idp)
            saml_response = idp.response(
                subject_for(Person(f"bench.profile.{n}@contoso.com"), "entra"),
                sp_entity_id=request.sp_entity_id,
                acs_url=request.destination,
                in_response_to=request.request_id,
            )
            profiler.enable()
            answer = client.post("/saml2/acs/", {"SAMLResponse": saml_response})
            profiler.disable()
            assert answer.status_code == 302, answer.content[:300]
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(45)
    out.write("\n--- by own time ---\n")
    stats.sort_stats("tottime").print_stats(25)
    return out.getvalue()


# --- part 2: the storm under gunicorn ----------------------------------------------------


class StagingSigner(CryptoBackendXmlSec1):
    """The bench IdPs' signer: libxmlsec1 in-process instead of one xmlsec1 run per signature.

    Staging thousands of sign-ins before the storm would otherwise take minutes. It fills
    the signature template pysaml2 puts in the element with ID `node_id`, exactly as
    `xmlsec1 --sign` does; the signatures are as real as the command's.
    """

    _keys = threading.local()

    def sign_statement(self, statement, node_name, key_file, node_id):
        if not isinstance(statement, bytes | str):
            statement = str(statement)
        if isinstance(statement, str):
            statement = statement.encode()
        root = etree.fromstring(statement)
        namespace, _, name = node_name.rpartition(":")
        ctx = xmlsec.SignatureContext()
        target = None
        for element in root.iter(f"{{{namespace}}}{name}"):
            if element.get("ID"):
                ctx.register_id(element, "ID")
                if element.get("ID") == node_id:
                    target = element
        cache = self._keys.__dict__
        if key_file not in cache:
            cache[key_file] = xmlsec.Key.from_file(key_file, xmlsec.constants.KeyDataFormatPem)
        ctx.key = cache[key_file]
        ctx.sign(target.find("{http://www.w3.org/2000/09/xmldsig#}Signature"))
        return etree.tostring(root).decode()


def sign_in_process(idp: TestIdP) -> TestIdP:
    server = idp.idp.server
    server.sec.crypto = StagingSigner(server.sec.crypto.xmlsec)
    return idp


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_url_for(name: str) -> str:
    base = urlsplit(os.environ.get("DATABASE_URL", ""))
    return base._replace(path=f"/{name}").geturl()


def wait_until_up(url: str, process: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("gunicorn stopped while starting")
        try:
            if requests.get(f"{url}/healthz", timeout=10).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise SystemExit("gunicorn did not answer /healthz")


def stage_sign_ins(url: str, idps: list[TestIdP], count: int, workers: int) -> list[tuple]:
    """Start `count` sign-ins at the server and have the IdP answer each; return the posts."""
    staged: list[tuple] = []
    lock = threading.Lock()
    numbers = iter(range(count))

    def stage(idp: TestIdP) -> None:
        while True:
            with lock:
                n = next(numbers, None)
            if n is None:
                return
            session = requests.Session()
            started = session.get(f"{url}/saml2/login/", allow_redirects=False, timeout=30)
            if started.status_code != 302:
                raise SystemExit(f"/saml2/login/ answered {started.status_code}")
            request = idp.read_request(started.headers["Location"])
            saml_response = idp.response(
                subject_for(Person(f"storm.{n}@contoso.com", "Storm", f"User {n}"), "entra"),
                sp_entity_id=request.sp_entity_id,
                acs_url=request.destination,
                in_response_to=request.request_id,
            )
            with lock:
                staged.append((session, saml_response, request.relay_state))

    threads = [threading.Thread(target=stage, args=(idps[i % len(idps)],)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return staged


def storm(url: str, staged: list[tuple], clients: int, seconds: float) -> dict:
    pending: queue.SimpleQueue = queue.SimpleQueue()
    for item in staged:
        pending.put(item)
    done, errors, latencies = [0], [], []
    lock = threading.Lock()
    deadline = [0.0]
    barrier = threading.Barrier(clients + 1)

    def client() -> None:
        barrier.wait()
        while time.monotonic() < deadline[0]:
            try:
                session, saml_response, relay_state = pending.get_nowait()
            except queue.Empty:
                return
            data = {"SAMLResponse": saml_response}
            if relay_state:
                data["RelayState"] = relay_state
            started = time.perf_counter()
            try:
                answer = session.post(
                    f"{url}/saml2/acs/", data=data, allow_redirects=False, timeout=60
                )
                ok = answer.status_code == 302 and answer.headers.get("Location") == "/"
                problem = f"{answer.status_code} {answer.text[:200]!r}"
            except requests.RequestException as exc:
                ok, problem = False, repr(exc)
            elapsed = time.perf_counter() - started
            with lock:
                if ok:
                    done[0] += 1
                    latencies.append(elapsed * 1000)
                else:
                    errors.append(problem)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    started = time.monotonic()
    deadline[0] = started + seconds
    barrier.wait()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    return {
        "sign_ins": done[0],
        "errors": errors,
        "seconds": elapsed,
        "ran_out": pending.qsize() == 0 and elapsed < seconds,
        "latencies": latencies,
    }


def run_storm(args, directory: Path, idp: TestIdP, sp_keys, db_name: str, rate: float) -> dict:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    environment = {
        **os.environ,
        "DATABASE_URL": database_url_for(db_name),
        "DJANGO_SECRET_KEY": "bench-only-storm-key",
        "DJANGO_DEBUG": "false",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "PUBLIC_URL": url,
        "SAML_IDP_METADATA": str(idp.metadata_file),
        "SAML_SP_KEY_FILE": str(sp_keys.key_file),
        "SAML_SP_CERT_FILE": str(sp_keys.cert_file),
        "SAML_SIGNATURE_VERIFIER": args.verifier,
        "LOG_LEVEL": "WARNING",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--worker-class",
            "gthread",
            "--threads",
            str(args.threads),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=environment,
        start_new_session=True,
    )
    try:
        wait_until_up(url, server)
        sp_metadata = requests.get(f"{url}/saml2/metadata/", timeout=10).text
        # Several IdP objects sharing the IdP's key: one signs one response at a time.
        for i in range(4):
            (directory / f"idp-{i}").mkdir(exist_ok=True)
        idps = [
            sign_in_process(
                TestIdP(directory / f"idp-{i}", entity_id=idp.entity_id, key_pair=idp.key_pair)
            )
            for i in range(4)
        ]
        for each in idps:
            each.trust_sp(sp_metadata)
        # More than the server can take in the storm: it must never run dry.
        wanted = args.staged or int(args.storm_seconds * max(2 * rate, 70))
        started = time.monotonic()
        staged = stage_sign_ins(url, idps, wanted, workers=4)
        print(f"  staged {len(staged)} sign-ins in {time.monotonic() - started:.0f} s")
        users_before = User.objects.count()
        result = storm(url, staged, args.clients, args.storm_seconds)
        result["users_created"] = User.objects.count() - users_before
        return result
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


# --- main ----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=100, help="timed posts per configuration")
    parser.add_argument("--warm-up", type=int, default=5)
    parser.add_argument("--profile-posts", type=int, default=100)
    parser.add_argument("--storm-seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=4, help="concurrent posting clients")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn worker threads")
    parser.add_argument("--verifier", choices=["inprocess", "xmlsec1"], default="inprocess")
    parser.add_argument("--staged", type=int, default=0, help="sign-ins to stage (0: estimate)")
    parser.add_argument("--skip-storm", action="store_true")
    args = parser.parse_args()

    load_before = " ".join(f"{x:.1f}" for x in os.getloadavg())
    setup_test_environment()
    test_db = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    directory = Path(tempfile.mkdtemp(prefix="bench-storm-"))
    try:
        sp_keys = generate_key_pair(directory, common_name="bench sp", stem="sp")
        idp = TestIdP(directory, entity_id="https://idp.bench.test/")
        saml_config = sp_saml_config(settings.SAML_CONFIG, idps=[idp], sp_key_pair=sp_keys)
        set_property(key="AutoProvisionUsers", value="true")
        with override_settings(SAML_CONFIG=saml_config):
            idp.trust_sp(Client().get("/saml2/metadata/").content.decode())
            timings = measure_latency(idp, saml_config, args.posts, args.warm_up)
            profile = profile_in_process(idp, args.profile_posts)

        print(f"engine: {connection.vendor}; {args.posts} ACS POSTs per configuration")
        print("\n== 1. ACS POST (response and assertion signed), same run")
        print(f"load average before: {load_before}")
        print(
            f"{'configuration':20s} {'median':>9s} {'p90':>9s} {'mean':>9s}"
            f" {'CPU median':>11s} {'CPU p90':>9s}"
        )
        for label, measured in timings.items():
            ms, cpu = measured["wall"], measured["cpu"]
            print(
                f"{label:20s} {statistics.median(ms):7.1f}ms {percentile(ms, 0.9):7.1f}ms "
                f"{statistics.fmean(ms):7.1f}ms {statistics.median(cpu):9.1f}ms "
                f"{percentile(cpu, 0.9):7.1f}ms"
            )
        for kind in ("wall", "cpu"):
            stock = statistics.median(timings["stock djangosaml2"][kind])
            ours = statistics.median(timings["ours, in-process"][kind])
            print(f"in-process vs stock ({kind}, median): {stock / ours:.1f}x")
        ours = statistics.median(timings["ours, in-process"]["wall"])

        if connection.vendor != "postgresql" and not args.skip_storm:
            print("\n== 2. storm: skipped, it needs PostgreSQL (set DATABASE_URL)")
        elif not args.skip_storm:
            print(
                f"\n== 2. storm: gunicorn 1 worker x {args.threads} threads, {args.clients} "
                f"clients, {args.storm_seconds:.0f} s, verifier {args.verifier}"
            )
            result = run_storm(
                args, directory, idp, sp_keys, connection.settings_dict["NAME"], 1000 / ours
            )
            rate = result["sign_ins"] / result["seconds"]
            lat = result["latencies"] or [0.0]
            print(
                f"  {result['sign_ins']} sign-ins in {result['seconds']:.1f} s = "
                f"{rate:.1f} sign-ins/s; errors: {len(result['errors'])}; "
                f"users created: {result['users_created']}; client-side POST median "
                f"{statistics.median(lat):.0f} ms, p90 {percentile(lat, 0.9):.0f} ms"
            )
            if result["ran_out"]:
                print("  WARNING: the staged sign-ins ran out before the end of the storm")
            for problem in result["errors"][:5]:
                print(f"  error: {problem}")

        print(f"\n== 3. profile of {args.profile_posts} in-process ACS POSTs")
        print(profile)
    finally:
        connection.close()
        connection.creation.destroy_test_db(test_db, verbosity=0)


if __name__ == "__main__":
    main()
