"""Reads of the audit trail."""

import base64
import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet

from audit.models import AuditLog
from tenants.errors import InvalidRequest


@dataclass(frozen=True)
class AuditPage:
    results: list[AuditLog]
    next_cursor: str | None


def _encode_cursor(record: AuditLog) -> str:
    raw = json.dumps([record.timestamp.isoformat(), str(record.audit_id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        timestamp, audit_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        return datetime.fromisoformat(timestamp), uuid.UUID(audit_id)
    except (ValueError, TypeError, UnicodeError):
        raise InvalidRequest("The cursor is invalid.", fields={"cursor": ["Use the `next` value of a previous page."]}) from None


def audit_list(
    *,
    client_id: uuid.UUID,
    action: str | None = None,
    status: str | None = None,
    user_id: uuid.UUID | None = None,
    since: datetime | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> AuditPage:
    """One client's records, newest first, in pages keyed on (timestamp, audit_id)."""
    records = AuditLog.objects.filter(client_id=client_id).order_by("-timestamp", "-audit_id")
    if action:
        records = records.filter(action=action)
    if status:
        records = records.filter(status=status)
    if user_id:
        records = records.filter(user_id=user_id)
    if since:
        records = records.filter(timestamp__gte=since)
    if cursor:
        timestamp, audit_id = _decode_cursor(cursor)
        records = records.filter(Q(timestamp__lt=timestamp) | Q(timestamp=timestamp, audit_id__lt=audit_id))
    rows = list(records[: limit + 1])
    next_cursor = _encode_cursor(rows[limit - 1]) if len(rows) > limit else None
    return AuditPage(results=rows[:limit], next_cursor=next_cursor)


def audit_older_than(*, before: datetime) -> QuerySet[AuditLog]:
    """Every client's records written before `before` (what a purge removes)."""
    return AuditLog.objects.filter(timestamp__lt=before)
