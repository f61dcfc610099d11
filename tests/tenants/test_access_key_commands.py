"""The access-key commands: rotate_access_key (and the revoke lines it prints), list_access_keys, revoke_access_key."""

import re
import shlex
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command, execute_from_command_line
from django.core.management.base import CommandError
from rest_framework.test import APIClient

from audit.models import AuditLog
from tenants.models import AccessKey
from tenants.services import access_key_revoke, access_key_rotate, client_deactivate
from tests.audit.conftest import records_written_by
from tests.tenants.test_commands import ACCESS_KEY, key_id_of, key_status, printed, run

pytestmark = pytest.mark.django_db(transaction=True)


# --- rotate_access_key -------------------------------------------------------------------


def test_rotate_keeps_old_key_working_until_revoke_existing(api, tenant):
    """A rotated-out key keeps authenticating until a rotation with --revoke-existing."""
    rolled = run("rotate_access_key", tenant.client_id)
    second_key = printed("access_key", rolled.out)

    assert "will not be shown again" in rolled.out
    assert [key_status(api, tenant.client_id, key) for key in (tenant.access_key, second_key)] == [200, 200]

    revoked = run("rotate_access_key", tenant.client_id, "--revoke-existing")
    third_key = printed("access_key", revoked.out)

    assert [key_status(api, tenant.client_id, key) for key in (tenant.access_key, second_key, third_key)] == [401, 401, 200]
    assert AccessKey.objects.filter(client=tenant.client, revoked_at__isnull=True).count() == 1


def test_rotate_prints_a_revoke_command_per_old_key_that_run_as_printed_leaves_the_new_key_alone(api, tenant):
    """Without --revoke-existing, rotate prints `manage.py revoke_access_key` for each older live key, with
    this Python and this project's manage.py; run as printed, the old keys answer 401 and the new one 200."""
    second_key = printed("access_key", run("rotate_access_key", tenant.client_id).out)
    out = run("rotate_access_key", tenant.client_id).out
    new_key = printed("access_key", out)

    advice = [shlex.split(line) for line in out.splitlines() if "revoke_access_key" in line]
    assert "--revoke-existing" not in out
    assert sorted(command[-1] for command in advice) == sorted(key_id_of(key) for key in (tenant.access_key, second_key))
    for python, manage_py, *arguments in advice:
        assert (Path(python).resolve(), Path(manage_py).resolve()) == (Path(sys.executable).resolve(), settings.BASE_DIR / "manage.py")
        assert arguments[:2] == ["revoke_access_key", tenant.client_id]
        execute_from_command_line([manage_py, *arguments])

    assert [key_status(api, tenant.client_id, key) for key in (tenant.access_key, second_key, new_key)] == [401, 401, 200]


# --- list_access_keys --------------------------------------------------------------------

WHEN = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ"


def test_list_access_keys_shows_each_key_id_with_its_dates_and_never_a_secret(api, tenant, other_tenant):
    """One row per key of this client: key_id, created, last used ("never") and revoked ("-"); no secret or hash."""
    rotated_key = printed("access_key", run("rotate_access_key", tenant.client_id).out)
    assert key_status(api, tenant.client_id, rotated_key) == 200  # sets its last use
    access_key_revoke(client=tenant.client, key_id=key_id_of(tenant.access_key))

    lines = run("list_access_keys", tenant.client_id, "-v", "3").out.splitlines()

    assert lines[0] == f"Access keys of 'Acme' ({tenant.client_id}):"
    assert lines[1].split() == ["key_id", "created", "last_used", "revoked"]
    assert re.fullmatch(rf"{key_id_of(tenant.access_key)}\s+{WHEN}\s+never\s+{WHEN}", lines[2])
    assert re.fullmatch(rf"{key_id_of(rotated_key)}\s+{WHEN}\s+{WHEN}\s+-", lines[3])
    assert lines[4:] == ["2 key(s), 1 live."]
    listing = "\n".join(lines)
    assert ACCESS_KEY.search(listing) is None
    for key in (tenant.access_key, rotated_key):
        assert key.split(".")[1] not in listing
    for secret_hash in AccessKey.objects.values_list("secret_hash", flat=True):
        assert secret_hash not in listing


def test_list_access_keys_says_when_the_client_is_deactivated(tenant):
    """A deactivated client's keys are listed with a warning that none of them is accepted."""
    client_deactivate(client=tenant.client)

    out = run("list_access_keys", tenant.client_id).out

    assert key_id_of(tenant.access_key) in out
    assert "deactivated: no key is accepted until reactivate_client" in out


def test_list_access_keys_leaves_no_audit_record(tenant):
    """Listing keys changes nothing and records nothing."""
    _, records = records_written_by(lambda: run("list_access_keys", tenant.client_id))

    assert records == []


# --- revoke_access_key --------------------------------------------------------------------


def test_revoke_access_key_stops_one_key_and_audits_it(tenant, capsys):
    """revoke_access_key: that key answers 401, the client's other key still works, one audit record."""
    other_key = access_key_rotate(client=tenant.client)
    key_id = tenant.access_key.split(".")[0].removeprefix("ak_")
    call_command("revoke_access_key", tenant.client_id, key_id)
    assert f"Access key {key_id}" in capsys.readouterr().out
    api = APIClient()
    assert api.get(tenant.url(), HTTP_AUTHORIZATION=f"Bearer {tenant.access_key}").status_code == 401
    assert api.get(tenant.url(), HTTP_AUTHORIZATION=f"Bearer {other_key}").status_code == 200
    record = AuditLog.objects.get(action="access_key_revoke")
    assert (record.status, record.metadata["key_id"]) == ("success", key_id)


def test_revoke_access_key_of_an_unknown_key_exits_1(tenant):
    """An unknown key_id is a clear CommandError, not a traceback."""
    with pytest.raises(CommandError, match="No access key"):
        call_command("revoke_access_key", tenant.client_id, "0000000000000000")
