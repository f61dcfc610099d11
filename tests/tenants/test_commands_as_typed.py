"""What a command tells the operator to run next runs, typed into a shell as printed, in fresh processes
on the embedded default."""

import os
import re
import subprocess
from pathlib import Path

import pytest

from authsvc.embedded_redis import stop_embedded_redis

pytestmark = pytest.mark.embedded_default

ROOT = Path(__file__).resolve().parent.parent.parent
MANAGE = [".venv/bin/python", "manage.py"]


@pytest.fixture
def shell(tmp_path):
    """Run a line in a shell at the project root, as an operator would, on a fresh migrated var dir."""
    var_dir = tmp_path / "var"
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "AUTHSVC_VAR_DIR": str(var_dir),
        "AUTHSVC_PUBLIC_URL": "http://127.0.0.1:8000",  # DEBUG is off: production needs it
    }

    def run(line: str) -> str:
        finished = subprocess.run(line, shell=True, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120)
        assert finished.returncode == 0, finished.stdout + finished.stderr
        return finished.stdout

    run(" ".join([*MANAGE, "migrate", "--noinput"]))
    yield run
    stop_embedded_redis(var_dir)


def test_the_revoke_command_rotate_prints_revokes_the_old_key_and_only_it(shell):
    """rotate_access_key prints one revoke_access_key line; pasted into a shell, list_access_keys then shows
    the first key revoked and the new one live."""
    created = shell(" ".join([*MANAGE, "create_client", "--name", "Typed", "--industry", "SaaS"]))
    client_id = re.search(r"^client_id: +(\S+)$", created, re.M)[1]
    first_key_id = re.search(r"^access_key: +ak_([0-9a-f]+)\.", created, re.M)[1]
    rotated = shell(" ".join([*MANAGE, "rotate_access_key", client_id]))
    new_key_id = re.search(r"^access_key: +ak_([0-9a-f]+)\.", rotated, re.M)[1]

    [advice] = [line.strip() for line in rotated.splitlines() if "revoke_access_key" in line]
    assert advice == " ".join([*MANAGE, "revoke_access_key", client_id, first_key_id])
    shell(advice)

    listing = shell(" ".join([*MANAGE, "list_access_keys", client_id]))
    rows = {line.split()[0]: line for line in listing.splitlines()[2:-1]}
    assert set(rows) == {first_key_id, new_key_id}
    assert not rows[first_key_id].endswith(" -") and rows[new_key_id].endswith(" -")
    assert "2 key(s), 1 live." in listing
