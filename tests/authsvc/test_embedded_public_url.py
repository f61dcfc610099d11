"""Commands hand out links on the port `make run` serves, not on the default one."""

import re
import subprocess
import sys

import pytest
from django.conf import settings as django_settings

from authsvc.embedded_redis import is_running
from tests.authsvc.conftest import django_environment

pytestmark = pytest.mark.embedded_default


def make_run_line(name: str, port: int) -> str:
    """The recipe line of `make run PORT=port` that runs manage.py `name`, as make would run it."""
    dry_run = subprocess.run(
        ["make", "-n", "run", f"PORT={port}"], cwd=django_settings.BASE_DIR, capture_output=True, text=True, timeout=60
    )
    assert dry_run.returncode == 0, dry_run.stderr
    lines = [line for line in dry_run.stdout.splitlines() if re.search(rf"manage\.py {name}\b", line)]
    assert len(lines) == 1, dry_run.stdout
    return lines[0]


def test_create_client_prints_the_port_make_run_serves(var_dir):
    """After `make run`'s preparation for PORT=18431 (which also starts the embedded Redis), create_client links to port 18431."""
    environment = django_environment(var_dir)
    prepared = subprocess.run(
        ["sh", "-c", make_run_line("prepare_embedded", 18431)],
        cwd=django_settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert prepared.returncode == 0, prepared.stdout + prepared.stderr
    assert is_running(var_dir)

    created = subprocess.run(
        [sys.executable, "manage.py", "create_client", "--name", "Shop", "--industry", "SaaS"],
        cwd=django_settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert created.returncode == 0, created.stderr
    documentation_url = re.compile(r"^documentation_url: +http://127\.0\.0\.1:18431/docs/clients/[0-9a-f-]{36}/$", re.M)
    assert documentation_url.search(created.stdout), created.stdout
