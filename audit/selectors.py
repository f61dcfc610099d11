"""Reads of the audit trail."""

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet

from accounts.selectors import user_emails
from audit.models import AuditLog
from core.pagination import Page, keyset_page
from tenants.selectors import client_names


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


@dataclass(frozen=True)
class Subjects:
    """Who the records are about, as far as they still exist: a client or user that is gone is absent."""

    client_names: dict[uuid.UUID, str]
    user_emails: dict[tuple[uuid.UUID, uuid.UUID], str]  # (client_id, user_id) -> email


def audit_subjects(*, records: Sequence[AuditLog]) -> Subjects:
    """The names of the clients and the emails of the users `records` mention.

    One query for the clients, then one per client for its users (they live in its own
    collection): a page of records costs as many queries as it has clients, whatever its length.
    """
    names = client_names(client_ids={record.client_id for record in records if record.client_id})
    wanted: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    for record in records:
        if record.user_id and record.client_id in names:
            wanted[record.client_id].add(record.user_id)
    emails = {
        (client_id, user_id): email
        for client_id, user_ids in wanted.items()
        for user_id, email in user_emails(client_id=client_id, user_ids=user_ids).items()
    }
    return Subjects(client_names=names, user_emails=emails)
