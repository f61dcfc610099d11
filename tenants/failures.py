"""A refused attempt is announced once, by whoever answers it, for audit to record.

The API's exception handler (authsvc.exceptions) and the mailed-link pages are the only
callers: services and permission checks only raise. What the raiser alone knows (whose
attempt, small facts, a finer action or reason) travels on the error; see core.errors.
"""

from typing import Any

from core.request_meta import RequestMeta
from tenants import signals
from tenants.models import Client


def failure_announce(
    *, error: Exception, code: str, action: str, client: Client | None, request_meta: RequestMeta | None
) -> None:
    signals.action_failed.send(
        sender=Client,
        client=client,
        user_id=getattr(error, "user_id", None),
        request_meta=request_meta,
        action=getattr(error, "audit_action", "") or action,
        reason=getattr(error, "audit_reason", "") or code,
        metadata=_metadata(error),
    )


def _metadata(error: Exception) -> dict[str, Any]:
    metadata = getattr(error, "audit_metadata", None)
    return dict(metadata) if isinstance(metadata, dict) else {}
