"""manage.py import_users <client_id> FILE.ndjson: the report on stdout, progress on stderr, and a run
killed part-way finished by the next one with every user exactly once."""

import io
import re
import signal
import subprocess
import threading

import bcrypt
import pytest
from django.core.management import CommandError, call_command

from audit.models import AuditLog
from tenants.user_models import user_model_for
from tests.accounts.conftest import PASSWORD, ndjson
from tests.stores import USING_SECANTUS
from tests.tenants.conftest import ROOT, manage_py  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db(transaction=True)

HASH = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode()
# SecantusDB answers each batch's email lookup in time that grows with the collection.
LINES = 2000 if USING_SECANTUS else 5000
WATCHDOG_SECONDS = 300


def write_file(path, count: int):
    path.write_bytes(ndjson(*({"email": f"user{number}@example.com", "password_hash": HASH} for number in range(count))))
    return path


def run_import(tenant, path, *options) -> str:
    out = io.StringIO()
    call_command("import_users", tenant.client_id, str(path), *options, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.mark.store_independent
def test_the_report_lists_invalid_lines_and_duplicate_ranges_then_the_counts(tenant, tmp_path):
    """Invalid lines one by one with their reason; duplicates as ranges of line numbers; the totals last."""
    path = tmp_path / "users.ndjson"
    write_file(path, 3)
    run_import(tenant, path)
    with path.open("ab") as more:
        more.write(ndjson("not json", {"email": "new@example.com", "password_hash": HASH}, {"email": "user1@example.com", "password_hash": HASH}))
    lines = run_import(tenant, path, "--actor", "alice").splitlines()
    assert lines == [
        "line 4: invalid: Not valid JSON.",
        "skipped as duplicate: lines 1-3, 6",
        "6 lines: created 1, skipped as duplicate 4, invalid 1.",
    ]
    [record] = AuditLog.objects.filter(action="user_import", metadata__created=1)
    assert record.metadata["actor"]["via"] == "manage.py import_users" and record.metadata["source"] == "command"


@pytest.mark.store_independent
@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("00000000-0000-0000-0000-000000000000", "users.ndjson"), "No client"),
        (("not-a-uuid", "users.ndjson"), "is not a client_id"),
        (("{client_id}", "missing.ndjson"), "Cannot read"),
    ],
)
def test_an_unknown_client_or_an_unreadable_file_is_a_clear_error(tenant, tmp_path, arguments, message):
    """A CommandError saying what is wrong, nothing imported."""
    write_file(tmp_path / "users.ndjson", 1)
    client_id, name = arguments
    with pytest.raises(CommandError, match=message):
        call_command("import_users", client_id.format(client_id=tenant.client_id), str(tmp_path / name))
    assert user_model_for(tenant.client).objects.count() == 0


def kill_when_progress_shows(command: list[str], environment: dict) -> None:
    """Start the import, read its progress bar on stderr, SIGKILL it once a tenth of the lines are done."""
    process = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    watchdog = threading.Timer(WATCHDOG_SECONDS, process.kill)
    watchdog.start()
    seen = b""
    try:
        while chunk := process.stderr.read1(4096):
            seen = (seen + chunk)[-200:]
            done = [int(count) for count in re.findall(rb"(\d+)/%d" % LINES, seen)]
            if done and LINES // 10 <= done[-1] < LINES:
                process.send_signal(signal.SIGKILL)
                break
    finally:
        watchdog.cancel()
        process.stderr.close()
        process.wait()
    assert process.returncode == -signal.SIGKILL, seen


def test_an_import_killed_part_way_is_finished_by_running_it_again(tenant, tmp_path, manage_py):  # noqa: F811
    """SIGKILL while the progress bar shows; the rerun creates exactly the users missing: each one once."""
    path = write_file(tmp_path / "users.ndjson", LINES)
    manage, environment = manage_py
    command = [*manage, "import_users", tenant.client_id, str(path), "--batch-size", "100"]
    kill_when_progress_shows(command, {**environment, "TQDM_MININTERVAL": "0"})
    users = user_model_for(tenant.client).objects
    before = users.count()
    assert 0 < before < LINES

    rerun = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=WATCHDOG_SECONDS)

    assert rerun.returncode == 0, rerun.stderr
    summary = f"{LINES} lines: created {LINES - before}, skipped as duplicate {before}, invalid 0."
    assert rerun.stdout.splitlines()[-1] == summary
    assert users.count() == LINES
    assert set(users.values_list("email", flat=True)) == {f"user{number}@example.com" for number in range(LINES)}
