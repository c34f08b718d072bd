"""Start-up refuses unsafe production settings; docker-compose.yml stays valid."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def start(env_overrides: dict[str, str], code: str = "") -> subprocess.CompletedProcess:
    """Import the settings in a fresh interpreter, as a server start would."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(env_overrides)
    env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + code],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )


def test_production_start_without_secret_key_stops_with_a_clear_message():
    result = start({"DJANGO_DEBUG": "false"})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_debug_with_a_public_host_stops_with_a_clear_message():
    result = start({"DJANGO_DEBUG": "true", "DJANGO_ALLOWED_HOSTS": "portal.example.com"})
    assert result.returncode != 0
    assert "Debug pages leak secrets" in result.stderr


def test_production_start_with_a_secret_key_succeeds():
    result = start({"DJANGO_DEBUG": "false", "DJANGO_SECRET_KEY": "x" * 50,
                    "DJANGO_ALLOWED_HOSTS": "portal.example.com",
                    "PUBLIC_URL": "https://portal.example.com"})
    assert result.returncode == 0, result.stderr


def test_docker_compose_file_is_valid():
    compose = shutil.which("docker-compose")
    if compose is None:
        pytest.skip("docker-compose is not installed (CI installs Debian's docker-compose)")
    for profile in ([], ["--profile", "production"]):
        result = subprocess.run(
            [compose, *profile, "config", "-q"], cwd=ROOT, capture_output=True, text=True,
            timeout=60,
        )
        assert result.returncode == 0, (profile, result.stderr)


def test_empty_allowed_hosts_means_the_default():
    result = start({"DJANGO_DEBUG": "false", "DJANGO_SECRET_KEY": "x" * 50,
                    "DJANGO_ALLOWED_HOSTS": "", "PUBLIC_URL": "https://portal.example.com"},
                   code="from django.conf import settings; print(settings.ALLOWED_HOSTS)")
    assert result.returncode == 0, result.stderr
    assert "portal.example.com" in result.stdout
