"""The one-command demo, as a newcomer runs it: scripts/demo.sh, the walkthrough, Ctrl-C.

The script runs for real (bootstrap, migrate, seed, the development IdPs, gunicorn) on
free loopback ports and on the suite's database engine: a fresh SQLite file, or a fresh
PostgreSQL database next to the suite's when DATABASE_URL points at PostgreSQL.
"""

import os
import queue
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.browser import CHROMIUM, chromium
from tests.portal.walkthrough import run_walkthrough

ROOT = Path(__file__).resolve().parents[2]
READY = "Press Ctrl-C to stop everything."
ADMIN, PASSWORD = "admin@demo.local", "walkthrough-Passw0rd"

needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian's chromium: scripts/bootstrap.sh --browser"
)


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for probe in sockets:
            probe.bind(("127.0.0.1", 0))
        return [probe.getsockname()[1] for probe in sockets]
    finally:
        for probe in sockets:
            probe.close()


def nothing_listens_on(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def processes_in_session(session_id: int) -> list[str]:
    """Return `pid command` of every live process of a session (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
        except OSError:
            continue
        # Fields after the command name (which may hold spaces) start at state.
        fields = stat.rsplit(")", 1)[1].split()
        state, session = fields[0], int(fields[3])
        if session == session_id and state != "Z":
            found.append(f"{entry.name} {cmdline}")
    return found


@pytest.fixture
def demo_database_url(tmp_path):
    """A fresh database for the demo, on the engine the suite runs on."""
    suite = os.environ.get("DATABASE_URL", "")
    if not suite.startswith(("postgres://", "postgresql://")):
        yield f"sqlite:///{tmp_path / 'demo.sqlite3'}"
        return
    import psycopg

    parts = urlsplit(suite)
    name = f"{parts.path.lstrip('/') or 'workportal'}_demo"
    server = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    yield urlunsplit(parts._replace(path=f"/{name}"))
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def start_demo(env: dict[str, str]) -> tuple[subprocess.Popen, "queue.Queue[str]", list[str]]:
    process = subprocess.Popen(
        ["scripts/demo.sh"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group: "Ctrl-C" reaches all of it
    )
    lines: queue.Queue[str] = queue.Queue()
    transcript: list[str] = []

    def pump():
        for line in process.stdout:
            transcript.append(line)
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    return process, lines, transcript


def wait_for_banner(process, lines, transcript, *, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if READY in lines.get(timeout=1):
                return
        except queue.Empty:
            if process.poll() is not None:
                break
    pytest.fail("scripts/demo.sh did not come up:\n" + "".join(transcript[-60:]))


@pytest.mark.browser
@needs_chromium
def test_demo_script_runs_the_walkthrough_and_ctrl_c_stops_everything(demo_database_url):
    port, saml_port, oidc_port = free_ports(3)
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    env.update(
        DEMO_PORT=str(port),
        DEMO_SAML_PORT=str(saml_port),
        DEMO_OIDC_PORT=str(oidc_port),
        DEMO_ADMIN=ADMIN,
        DEMO_ADMIN_PASSWORD=PASSWORD,
        DATABASE_URL=demo_database_url,
    )
    process, lines, transcript = start_demo(env)
    try:
        wait_for_banner(process, lines, transcript)
        banner = "".join(transcript)
        assert f"http://127.0.0.1:{port}/" in banner
        assert ADMIN in banner and PASSWORD in banner
        with chromium() as browser:
            walkthrough = run_walkthrough(
                browser.new_page(), base_url=f"http://127.0.0.1:{port}", admin=ADMIN,
                password=PASSWORD,
            )
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in the terminal sends
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            raise

    events = [(row["event_type"], row["sub_event"]) for row in walkthrough.auth_log]
    assert events == [
        ("logoff", "logoff"),
        ("login", "auto_provisioned"),
        ("failed_login", "user_not_found"),
    ]
    assert '"roles_granted": ["Employee"]' in walkthrough.auth_log[1]["detail"]
    assert process.returncode == 130, "".join(transcript[-30:])
    assert "Stopping the demo" in "".join(transcript)
    assert "stopped on its own" not in "".join(transcript)
    time.sleep(0.5)
    assert processes_in_session(process.pid) == []
    assert all(nothing_listens_on(p) for p in (port, saml_port, oidc_port))


def test_demo_script_refuses_to_start_on_a_busy_port(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        _, saml_port, oidc_port = free_ports(3)
        env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
        env.update(
            DEMO_PORT=str(port), DEMO_SAML_PORT=str(saml_port), DEMO_OIDC_PORT=str(oidc_port),
            DATABASE_URL=f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        )
        result = subprocess.run(
            ["scripts/demo.sh"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
            start_new_session=True,
        )

    assert result.returncode == 1
    assert f"Port {port} on 127.0.0.1 is in use" in result.stderr
    assert not (tmp_path / "demo.sqlite3").exists()  # nothing was started or migrated
