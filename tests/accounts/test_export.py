"""Export: GET /api/v1/<client_id>/users/export (NDJSON, streamed, never a hash) and
manage.py export_users [--include-hashes], whose file import_users takes back into another client."""

import io
import json
import os
import stat
import tracemalloc
from datetime import UTC, datetime

import bcrypt
import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from accounts.flows.user_export import EXPORTED_FIELDS, users_export
from accounts.flows.user_import import users_import
from audit.models import AuditLog
from tenants.user_models import user_model_for
from tests.accounts.conftest import PASSWORD, call, foreign_hashes, import_users, ndjson, sign_up
from tests.conftest import make_tenant

pytestmark = pytest.mark.django_db(transaction=True)

HASH = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode()


def fill(tenant, count: int, **fields) -> None:
    """`count` users with one shared hash, written by the import flow (no HTTP, no hashing)."""
    lines = (json.dumps({"email": f"user{number}@example.com", "password_hash": HASH, **fields}) for number in range(count))
    assert users_import(client=tenant.client, records=enumerate(lines, start=1)).created == count


def export_api(tenant, **extra):
    return APIClient().get(tenant.url("users/export"), **{**tenant.auth, **extra})


def lines_of(response) -> list[dict]:
    return [json.loads(line) for line in b"".join(response.streaming_content).splitlines()]


@pytest.mark.store_independent
def test_the_api_streams_every_user_oldest_first_without_any_hash(tenant):
    """NDJSON of the exported fields only: no password_hash key, no hash text anywhere; audited with the count."""
    fill(tenant, 30, custom_fields={"plan": "pro"})
    sign_up(tenant, "late@example.com")
    response = export_api(tenant)
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "application/x-ndjson"
    body = b"".join(response.streaming_content)
    records = [json.loads(line) for line in body.splitlines()]
    assert [record["email"] for record in records][-1] == "late@example.com"
    assert len(records) == 31 and len({record["user_id"] for record in records}) == 31
    assert all(set(record) == set(EXPORTED_FIELDS) for record in records)
    assert b"password" not in body and b"$2b$" not in body and b"bcrypt" not in body
    [record] = AuditLog.objects.filter(action="user_export")
    assert record.metadata == {"source": "api", "include_hashes": False, "completed": True, "exported": 31}


@pytest.mark.store_independent
def test_another_clients_key_cannot_export_a_client(tenant, other_tenant):
    """403 forbidden, no body of users."""
    fill(tenant, 2)
    response = export_api(tenant, HTTP_AUTHORIZATION=f"Bearer {other_tenant.access_key}")
    assert response.status_code == 403 and b"user0" not in response.content


def peak_while_exporting(tenant) -> tuple[int, int]:
    """(lines read, peak bytes traced) while the whole answer is read and dropped line by line."""
    response = export_api(tenant)
    tracemalloc.start()
    try:
        count = sum(chunk.count(b"\n") for chunk in response.streaming_content)
        return count, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        response.close()


@pytest.mark.store_independent
def test_export_memory_does_not_grow_with_the_number_of_users():
    """Three times the users, about the same peak: the answer holds one page (1,000 rows), not the table."""
    small, large = make_tenant("Small"), make_tenant("Large")
    fill(small, 1200, custom_fields={"bio": "x" * 200})
    fill(large, 3600, custom_fields={"bio": "x" * 200})
    small_lines, small_peak = peak_while_exporting(small)
    large_lines, large_peak = peak_while_exporting(large)
    assert (small_lines, large_lines) == (1200, 3600)
    assert large_peak < small_peak * 1.5, (small_peak, large_peak)


def test_pages_that_share_a_created_at_lose_and_repeat_no_user(tenant):
    """Imported users often share one created_at: the (created_at, user_id) keyset still walks each once."""
    fill(tenant, 40, created_at="2020-01-01T00:00:00Z")
    fill_more = [json.dumps({"email": f"more{n}@example.com", "password_hash": HASH}) for n in range(5)]
    users_import(client=tenant.client, records=enumerate(fill_more, start=1))
    exported = list(users_export(client=tenant.client, page_size=7))
    keys = [(record["created_at"], record["user_id"]) for record in exported]
    assert len(exported) == 45 and len(set(keys)) == 45
    assert keys == sorted(keys, key=lambda key: (datetime.fromisoformat(key[0]).astimezone(UTC), key[1]))


def test_an_export_with_hashes_imports_into_a_new_client_and_its_users_log_in(tenant, tmp_path):
    """export_users --include-hashes from A, import_users into a new B: same users, same passwords, same states."""
    hashes = foreign_hashes(PASSWORD)
    import_users(tenant, ndjson(*({"email": f"{n}@example.com", "password_hash": h} for n, h in enumerate(hashes.values()))))
    signed_up = sign_up(tenant, "native@example.com", custom_fields={"plan": "pro"})
    import_users(tenant, ndjson({"email": "off@example.com", "password_hash": HASH, "is_active": False, "email_verified": True}))
    path = tmp_path / "a.ndjson"
    call_command("export_users", tenant.client_id, "--include-hashes", "-o", str(path), stderr=io.StringIO())
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600

    new_client = make_tenant("B")
    out = io.StringIO()
    call_command("import_users", new_client.client_id, str(path), stdout=out, stderr=io.StringIO())

    count = len(hashes) + 2
    assert out.getvalue().splitlines()[-1] == f"{count} lines: created {count}, skipped as duplicate 0, invalid 0."
    fields = ("user_id", "email", "email_verified", "is_active", "custom_fields", "created_at", "password_hash")
    assert sorted(user_model_for(new_client.client).objects.values_list(*fields)) == sorted(
        user_model_for(tenant.client).objects.values_list(*fields)
    )
    for email in ["0@example.com", f"{len(hashes) - 1}@example.com", signed_up.email]:
        assert call(new_client, "login", {"email": email, "password": PASSWORD}).status_code == 200, email
    assert call(new_client, "login", {"email": "off@example.com", "password": PASSWORD}).json()["error"] == "account_disabled"


@pytest.mark.store_independent
def test_the_command_writes_to_stdout_and_audits_hashes_being_exported(tenant):
    """Without -o the NDJSON goes to stdout; the record says the hashes went out, and who took them."""
    fill(tenant, 3)
    out = io.StringIO()
    call_command("export_users", tenant.client_id, "--include-hashes", "--actor", "alice", stdout=out, stderr=io.StringIO())
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [record["password_hash"] for record in records] == [f"bcrypt${HASH}"] * 3
    [record] = AuditLog.objects.filter(action="user_export")
    assert record.metadata["include_hashes"] is True and record.metadata["exported"] == 3
    assert record.metadata["actor"]["username"] == "alice" and record.metadata["source"] == "command"
