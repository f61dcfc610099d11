"""The embedded default's var directory is 0700 and its SQLite file (password hashes) 0600, like the key
files in it, whatever the umask; an installation made before is tightened at its next start."""

import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from tests.authsvc.conftest import django_environment

pytestmark = pytest.mark.embedded_default

DATABASE = "authsvc.sqlite3"
USUAL_UMASK = 0o022


def manage(var_dir: Path, *arguments: str) -> None:
    """manage.py in a fresh process under the usual umask, with only AUTHSVC_VAR_DIR (and the public URL) set."""
    finished = subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=django_settings.BASE_DIR,
        env=django_environment(var_dir, AUTHSVC_PUBLIC_URL="http://127.0.0.1:8000"),
        capture_output=True,
        text=True,
        timeout=120,
        umask=USUAL_UMASK,
    )
    assert finished.returncode == 0, finished.stderr


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def modes_while_open(database: Path) -> dict[str, int]:
    """The modes of the database and of the -wal and -shm files SQLite makes beside it while it is open."""
    connection = sqlite3.connect(database)
    try:
        connection.execute("SELECT count(*) FROM clients").fetchall()
        return {path.name: mode(path) for path in database.parent.iterdir() if path.name.startswith(DATABASE)}
    finally:
        connection.close()


def test_a_fresh_installation_keeps_its_var_dir_and_database_to_its_owner(var_dir):
    """After the first migrate: var/ is 0700; the database, its -wal and -shm, and the secret key are 0600."""
    manage(var_dir, "migrate", "--noinput")

    assert mode(var_dir) == 0o700
    assert mode(var_dir / "secret_key") == 0o600
    assert modes_while_open(var_dir / DATABASE) == {DATABASE: 0o600, f"{DATABASE}-wal": 0o600, f"{DATABASE}-shm": 0o600}


def test_an_installation_made_before_is_tightened_at_its_next_start(var_dir):
    """A var/ left 0755 with a 0644 database and journal (as before this) is owner-only after the next command."""
    manage(var_dir, "migrate", "--noinput")
    database = var_dir / DATABASE
    journal = var_dir / f"{DATABASE}-journal"
    journal.touch()
    for path, loose in ((var_dir, 0o755), (database, 0o644), (journal, 0o644)):
        path.chmod(loose)

    manage(var_dir, "check")

    assert (mode(var_dir), mode(database), mode(journal)) == (0o700, 0o600, 0o600)
