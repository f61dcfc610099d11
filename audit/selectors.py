"""Reads of the audit trail."""

import uuid
from datetime import datetime

from django.db.models import QuerySet

from audit.models import AuditLog
from core.pagination import Page, keyset_page


def audit_list(
    *,
    client_id: uuid.UUID,
    action: str | None = None,
    status: str | None = None,
    user_id: uuid.UUID | None = None,
    since: datetime | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page:
    """One client's records, newest first, in pages keyed on (timestamp, audit_id)."""
    records = AuditLog.objects.filter(client_id=client_id)
    if action:
        records = records.filter(action=action)
    if status:
        records = records.filter(status=status)
    if user_id:
        records = records.filter(user_id=user_id)
    if since:
        records = records.filter(timestamp__gte=since)
    return keyset_page(records, time_field="timestamp", id_field="audit_id", cursor=cursor, limit=limit, newest_first=True)


def audit_older_than(*, before: datetime) -> QuerySet[AuditLog]:
    """Every client's records written before `before` (what a purge removes)."""
    return AuditLog.objects.filter(timestamp__lt=before)
