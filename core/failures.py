"""A refused attempt is announced once, by whoever answers it, for audit to record.

The API's exception handler (authsvc.exceptions) and the mailed-link pages are the only
callers: services and permission checks only raise. What the raiser alone knows (whose
attempt, small facts, a finer action or reason) travels on the error; see core.errors.
Any app's refusals go through here, so the signal lives below every app; `audit` listens.
"""

from typing import Any

from django.dispatch import Signal

from core.request_meta import RequestMeta

# Sent with: client (the tenant's Client, or None when unknown), user_id, request_meta, action,
# reason (an error code, or finer) and metadata (small, never a secret).
action_failed = Signal()


def failure_announce(*, error: Exception, code: str, action: str, client: Any, request_meta: RequestMeta | None) -> None:
    action_failed.send(
        sender=type(error),
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
