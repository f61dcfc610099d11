"""`provision_tenants` brings 1,000 clients' users tables to the latest version (the `mfa` field), and a
run killed midway (SIGKILL) is finished by the next one: every client at the latest version, none failed.

200 clients on SecantusDB, whose every command costs time in proportion to its number of collections
(some 0.2 s a client at 1,000, where SQLite and PostgreSQL take 20 to 50 ms)."""

import signal
import subprocess
import threading

import pytest

from tenants.models import UsersTableVersion
from tenants.user_models import user_model_for
from tenants.users_table_steps import USERS_TABLE
from tests.stores import USING_SECANTUS
from tests.tenants.conftest import ROOT

pytestmark = pytest.mark.django_db(transaction=True)

CLIENTS = 200 if USING_SECANTUS else 1000
KILL_AFTER = CLIENTS // 10  # clients reported done
WATCHDOG_SECONDS = 600


def run_until_progress(command: list[str], environment: dict, log) -> None:
    """Start the command, read its output until it reports KILL_AFTER clients done, then SIGKILL it."""
    process = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=log, text=True)
    watchdog = threading.Timer(WATCHDOG_SECONDS, process.kill)
    watchdog.start()
    try:
        for line in process.stdout:
            if line.startswith(f"[{KILL_AFTER}/"):
                process.send_signal(signal.SIGKILL)
                break
    finally:
        watchdog.cancel()
        process.stdout.close()
        process.wait()
    assert process.returncode == -signal.SIGKILL


def test_a_killed_run_is_finished_by_the_next_one(old_clients, manage_py, tmp_path):
    """1,000 clients one version behind; provision_tenants killed after 100 (a tenth): the next run upgrades
    exactly the clients not yet recorded, fails none, and every user then reads the new field's default."""
    clients = old_clients(CLIENTS, version=USERS_TABLE.latest - 1)
    manage, environment = manage_py
    command = [*manage, "provision_tenants", "--all", "--progress-every", str(KILL_AFTER // 2)]

    with open(tmp_path / "killed.err", "w") as log:
        run_until_progress(command, environment, log)
    done = UsersTableVersion.objects.filter(version=USERS_TABLE.latest).count()
    assert KILL_AFTER <= done < CLIENTS

    rerun = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=WATCHDOG_SECONDS)

    assert rerun.returncode == 0, rerun.stderr
    summary = f"Provisioned {CLIENTS} client(s): 0 created, {CLIENTS - done} upgraded, 0 repaired, {done} unchanged, 0 failed."
    assert rerun.stdout.splitlines()[-1] == summary
    assert set(UsersTableVersion.objects.values_list("version", "progress")) == {(USERS_TABLE.latest, None)}
    assert UsersTableVersion.objects.count() == CLIENTS
    for client in clients:
        assert list(user_model_for(client).objects.values_list("email", "mfa")) == [("user0@example.com", {})]
