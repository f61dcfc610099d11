"""Writes of the audit trail: records (only `audit.receivers` writes them) and their purge."""

import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime

from django.utils import timezone

from audit.events import AuditPurged
from audit.models import AuditLog
from audit.selectors import audit_older_than
from core.batches import rows_delete_in_batches
from core.events import publish
from core.inserts import row_insert
from core.request_meta import RequestMeta

logger = logging.getLogger("authsvc.audit")

# Keys that must never reach the trail, whatever a sender puts in metadata.
SECRET_KEYS = {"password", "new_password", "token", "refresh_token", "access_token", "access_key", "secret"}


@dataclass(frozen=True)
class AuditEvent:
    action: str
    status: str
    client_id: uuid.UUID | None = None
    user_id: uuid.UUID | None = None
    reason: str = ""
    ip_address: str | None = None
    user_agent: str = ""
    metadata: dict = field(default_factory=dict)
    timestamp: datetime = field(default_factory=timezone.now)


def _clean_metadata(metadata: dict) -> dict:
    return {key: value for key, value in (metadata or {}).items() if key not in SECRET_KEYS}


def audit_record(*, event: AuditEvent) -> AuditLog:
    record = AuditLog(
        client_id=event.client_id,
        user_id=event.user_id,
        action=event.action,
        status=event.status,
        reason=event.reason[:40],
        ip_address=event.ip_address,
        user_agent=event.user_agent[:512],
        timestamp=event.timestamp,
        metadata=_clean_metadata(event.metadata),
    )
    row_insert(record)
    return record


def audit_record_or_log(*, event: AuditEvent) -> AuditLog | None:
    """Write the record; if the store refuses, the request still answers and the event is logged whole.

    The log line is one JSON object so that it can be replayed into `audit_logs`.
    """
    try:
        return audit_record(event=event)
    except Exception as error:  # a failed audit write must never fail the audited request
        payload = asdict(event) | {"metadata": _clean_metadata(event.metadata)}
        logger.error(
            "audit write failed (%s): %s",
            error.__class__.__name__,
            json.dumps(payload, default=str, sort_keys=True),
        )
        return None


def audit_purge(
    *,
    before: datetime,
    batch_size: int = 1000,
    on_batch: Callable[[int, int], None] | None = None,
    request_meta: RequestMeta | None = None,
) -> int:
    """Delete every record written before `before`, in batches; returns how many.

    The purge itself leaves a record (who, up to when, how many), which no purge of the same cut-off removes.
    """
    deleted = rows_delete_in_batches(rows=audit_older_than(before=before), batch_size=batch_size, on_batch=on_batch)
    publish(AuditPurged(before=before.isoformat(timespec="seconds"), deleted=deleted, request_meta=request_meta))
    return deleted
