"""Refusals that no flow decided, and the events they publish.

A flow publishes its own failures (core.events.failures_published). What is refused before any
flow runs (an access key refused by authentication, a key of another client by the permission
check, a rate limit, a body that does not validate, a store that is down) is decided in a
framework hook, so whoever answers it is its source: the API's exception handler
(authsvc.exceptions) and the mailed-link pages (accounts.link_pages). They publish one of these,
named after the operation that was attempted.
"""

import uuid
from dataclasses import dataclass

from core.errors import RateLimited, ServiceError
from core.events import Failure, publish, refusal_published
from core.request_meta import RequestMeta


@dataclass(frozen=True, kw_only=True)
class CallRefused(Failure, name="call.refused"):
    """A call refused before its operation ran: bad access key, invalid body, unknown user, store down."""

    operation: str  # what was attempted: "login", "user_get", ...
    key_problem: str | None = None  # missing, malformed, unknown, revoked, wrong_client, client_inactive
    path_client_id: str | None = None  # the client the path named, when the key was another's


@dataclass(frozen=True, kw_only=True)
class CallRateLimited(Failure, name="call.rate_limited"):
    """A call refused by a rate limit: `limit` is the bucket that overflowed."""

    attempted: str
    limit: str
    reason: str = RateLimited.code


def refusal_publish(
    error: Exception, *, code: str, operation: str, client_id: uuid.UUID | None, request_meta: RequestMeta | None
) -> None:
    """Publish the refusal of `operation` with `error` (answered as `code`), unless its flow already did."""
    if refusal_published(error):
        return
    publish(_refusal_event(error, code=code, operation=operation, client_id=client_id, request_meta=request_meta))


def _refusal_event(error: Exception, *, code: str, operation: str, **envelope) -> Failure:
    if isinstance(error, RateLimited):
        return CallRateLimited(attempted=error.attempted, limit=error.limit, **envelope)
    return CallRefused(
        operation=operation,
        reason=code,
        user_id=error.user_id if isinstance(error, ServiceError) else None,
        key_problem=getattr(error, "key_problem", "") or None,
        path_client_id=getattr(error, "path_client_id", "") or None,
        **envelope,
    )
