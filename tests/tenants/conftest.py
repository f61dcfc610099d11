"""Fixtures of the tenants tests."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.db import connections
from django.test import Client as BrowserClient

from tenants.evolution import Steps, database_of
from tenants.models import Client, UsersTableVersion
from tenants.users_table_steps import USERS_TABLE
from tests.stores import STORE, with_database

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture
def staff_client(transactional_db) -> BrowserClient:
    """Logged in as a superuser without a password: hashing one (bcrypt) would only slow every test.

    A superuser because, on SecantusDB, a staff member's permission checks fail (tests/test_secantus_differences.py).
    """
    staff = get_user_model().objects.create_superuser("staff", "staff@example.com", password=None)
    browser = BrowserClient()
    browser.force_login(staff)
    return browser


def make_tables(clients: list[Client], version: int, steps: Steps = USERS_TABLE, users: int = 1) -> None:
    """Users tables at `version` of `steps` for `clients`, each with `users` user(s), as an older release left them."""
    models = [steps.model_at(version, client) for client in clients]
    with database_of(models[0]).schema_editor() as editor:
        for model in models:
            editor.create_model(model)
    for model in models:
        for number in range(users):
            model.objects.create(email=f"user{number}@example.com", password_hash="x")


@pytest.fixture
def old_clients(transactional_db):
    """Make `count` clients directly (bulk rows, no API) whose users tables are at `version`, recorded
    so unless `recorded` is False (as before versions were recorded); their tables are dropped after the test."""
    made: list[Client] = []

    def make(count: int, version: int, *, recorded: bool = True, steps: Steps = USERS_TABLE, users: int = 1) -> list[Client]:
        clients = Client.objects.bulk_create([Client(client_name=f"Old {n}", industry="SaaS") for n in range(count)])
        made.extend(clients)
        make_tables(clients, version, steps, users)
        if recorded:
            UsersTableVersion.objects.bulk_create([UsersTableVersion(client=client, version=version) for client in clients])
        return clients

    yield make
    if made:
        with database_of(USERS_TABLE.model_at(0, made[0])).schema_editor() as editor:
            for client in made:
                editor.delete_model(USERS_TABLE.model_at(0, client))


@pytest.fixture
def manage_py(transactional_db):
    """The argv and environment of a `manage.py` process working on this test's database."""
    name = connections["default"].settings_dict["NAME"]
    url = f"sqlite:///{name}" if STORE == "sqlite" else with_database(os.environ["DATABASE_URL"], name)
    environment = {**os.environ, "DATABASE_URL": url, "PYTHONUNBUFFERED": "1"}
    return [sys.executable, str(ROOT / "manage.py")], environment


@pytest.fixture
def fresh_manage(tmp_path):
    """Run `manage.py <args>` in a fresh process on a SQLite file of this test's own (`tmp_path/db.sqlite3`),
    with extra environment variables; fails the test if the command fails."""

    def run(*args: str, **variables: str) -> str:
        environment = {
            "PATH": os.environ.get("PATH", ""),
            "AUTHSVC_VAR_DIR": str(tmp_path / "var"),
            "DJANGO_DEBUG": "1",
            "AUTHSVC_LOG_LEVEL": "ERROR",
            "REDIS_URL": os.environ["REDIS_URL"],
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
            **variables,
        }
        finished = subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=300
        )
        assert finished.returncode == 0, finished.stdout + finished.stderr
        return finished.stdout

    return run
