"""Fixtures of the audit tests: counting the records a request leaves, writing dated records, staff."""

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connections, router
from django.test import Client as BrowserClient
from rest_framework.test import APIClient

from audit.models import AuditLog, AuditStatus
from audit.serializers import AuditOutput
from audit.services import AuditEvent, audit_record


def request_as(path: str, body=None, *, authorization: str | None, method: str = "POST", **extra):
    """One request to `path` with an Authorization header of our choosing (or none)."""
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization is not None else {}
    payload = "" if body is None else json.dumps(body)
    return APIClient().generic(method, path, payload, content_type="application/json", **headers, **extra)


def records_written_by(send: Callable[[], object]) -> tuple[object, list[AuditLog]]:
    """Send one request; return its response and the audit records that appeared meanwhile.

    The row count is compared too, so a record written and removed again cannot hide.
    """
    before_count = AuditLog.objects.count()
    seen = set(AuditLog.objects.values_list("pk", flat=True))
    response = send()
    new = [record for record in AuditLog.objects.all() if record.pk not in seen]
    assert AuditLog.objects.count() - before_count == len(new)
    return response, new


def only_record_written_by(send: Callable[[], object]) -> tuple[object, AuditLog]:
    response, new = records_written_by(send)
    assert len(new) == 1, [(record.action, record.status, record.reason) for record in new]
    return response, new[0]


def serialized(record: AuditLog) -> str:
    """Everything a record exposes (as the audit API shows it), for searching for leaked secrets."""
    return json.dumps(AuditOutput(record).data, default=str)


def write_record(
    *,
    client_id: uuid.UUID | str | None,
    timestamp: datetime,
    action: str = "login",
    status: str = AuditStatus.SUCCESS,
    user_id: uuid.UUID | None = None,
    ip_address: str | None = None,
) -> AuditLog:
    """A record dated `timestamp`, written through the audit service as a receiver would write it."""
    event = AuditEvent(
        action=action,
        status=status,
        client_id=uuid.UUID(str(client_id)) if client_id else None,
        user_id=user_id,
        reason="" if status == AuditStatus.SUCCESS else "invalid_credentials",
        ip_address=ip_address,
        timestamp=timestamp,
    )
    return audit_record(event=event)


@dataclass
class Output:
    out: str
    err: str


def run_command(*args: str) -> Output:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return Output(out.getvalue(), err.getvalue())


@pytest.fixture
def staff_browser(transactional_db) -> BrowserClient:
    """Logged in as a superuser without a password: hashing one (bcrypt) would only slow every test."""
    staff = get_user_model().objects.create_superuser("auditor", "auditor@example.com", password=None)
    browser = BrowserClient()
    browser.force_login(staff)
    return browser


@pytest.fixture
def refusing_audit_store(transactional_db):
    """The store refuses every audit write until the test ends, as a full disk or a lost table would.

    SQLite: the table is dropped (and recreated afterwards). MongoDB would silently recreate a
    dropped collection on the next insert, so there a validator no record can pass refuses them.
    """
    connection = connections[router.db_for_write(AuditLog)]
    table = AuditLog._meta.db_table
    if connection.vendor == "mongodb":
        refuse_all = {"$jsonSchema": {"required": ["field_no_record_has"]}}
        connection.database.command("collMod", table, validator=refuse_all, validationLevel="strict", validationAction="error")
        yield
        connection.database.command("collMod", table, validator={}, validationLevel="off")
    else:
        with connection.schema_editor() as editor:
            editor.delete_model(AuditLog)
        yield
        with connection.schema_editor() as editor:
            editor.create_model(AuditLog)
