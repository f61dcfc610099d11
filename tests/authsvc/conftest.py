"""Fixtures of the authsvc tests: Django in a fresh process, with only the variables a case sets."""

import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings

from authsvc.embedded_redis import stop_embedded_redis
from tests.stores import start_redis

# Passes Django's own rule for a strong key (50+ characters, 5+ different ones).
STRONG_KEY = "test-only-key-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGH"


@pytest.fixture
def var_dir(tmp_path):
    """A fresh AUTHSVC_VAR_DIR; an embedded Redis some process started in it is stopped afterwards."""
    path = tmp_path / "var"
    yield path
    stop_embedded_redis(path)


def django_environment(var_dir, **variables: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", ""),
        "DJANGO_SETTINGS_MODULE": "authsvc.settings",
        "AUTHSVC_VAR_DIR": str(var_dir),
        "AUTHSVC_LOG_LEVEL": "ERROR",
        **variables,
    }


@pytest.fixture
def run_django(var_dir):
    """Run Python code or manage.py in a fresh process with only the given variables set."""

    def run(*args: str, **variables: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, *args],
            cwd=django_settings.BASE_DIR,
            env=django_environment(var_dir, **variables),
            capture_output=True,
            text=True,
            timeout=120,
        )

    return run


@pytest.fixture(scope="session")
def evicting_redis_url() -> str:
    """A real redis-server on loopback that evicts any key when full (stopped when the run ends)."""
    return start_redis("--maxmemory-policy", "allkeys-lru")
