"""The one place that turns errors into the API's JSON envelope (docs/api.md §4).

`{"error": <code>, "detail": <text>}` plus `"fields"` on validation errors. DRF views reach
this through `api_exception_handler`; everything else on `/api/` (Django's own 404, 405,
400, 413 and 500 paths) goes through `authsvc.middleware`, which uses `error_response`.
"""

import logging
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from django_redis.exceptions import ConnectionInterrupted
from pymongo.errors import ConnectionFailure
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rest_framework import exceptions as drf

from core.errors import ServiceError, code_for_status
from core.refusals import refusal_publish
from core.request_meta import request_meta

logger = logging.getLogger("authsvc.errors")

STORE_UNAVAILABLE = (OperationalError, InterfaceError, ConnectionFailure)
# The shared cache holds the rate-limit counters: without it no call can be counted, so
# the answer is the same 503 as for the database (fail closed), not a 500.
CACHE_UNAVAILABLE = (ConnectionInterrupted, RedisConnectionError, RedisTimeoutError)


@dataclass(frozen=True)
class Failure:
    """What an error answers: status, code, text, and for some the fields or headers."""

    status: int
    code: str
    detail: str
    fields: dict[str, Any] | None = None
    headers: dict[str, str] | None = None

    def response(self) -> JsonResponse:
        body: dict[str, Any] = {"error": self.code, "detail": self.detail}
        if self.fields:
            body["fields"] = self.fields
        response = JsonResponse(body, status=self.status)
        for name, value in (self.headers or {}).items():
            response[name] = value
        if self.status == 401:
            response["WWW-Authenticate"] = 'Bearer realm="authsvc"'
        return response


def error_response(
    status: int,
    code: str | None = None,
    detail: str | None = None,
    *,
    fields: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JsonResponse:
    return Failure(status, code or code_for_status(status), detail or HTTPStatus(status).phrase, fields, headers).response()


def _service_failure(exc: ServiceError) -> Failure:
    headers = {}
    if getattr(exc, "retry_after", None) is not None:
        headers["Retry-After"] = str(exc.retry_after)
    return Failure(exc.status_code, exc.code, exc.detail, exc.fields, headers)


def _flatten_validation(detail: Any) -> dict[str, Any]:
    """DRF ValidationError detail as {field: [messages]}; non-field errors under 'non_field_errors'."""
    if isinstance(detail, dict):
        return {key: _plain(value) for key, value in detail.items()}
    return {"non_field_errors": _plain(detail)}


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return str(value)


def failure_for(exc: Exception) -> Failure | None:
    """What an exception answers, or None when it is a genuine bug."""
    if isinstance(exc, ServiceError):
        return _service_failure(exc)
    if isinstance(exc, drf.ValidationError):
        return Failure(400, "invalid_request", "Some fields are invalid.", _flatten_validation(exc.detail))
    if isinstance(exc, drf.ParseError):
        return Failure(400, "invalid_request", "The body is not valid JSON.")
    if isinstance(exc, drf.UnsupportedMediaType):
        return Failure(400, "invalid_request", "The body must be JSON (Content-Type: application/json).")
    if isinstance(exc, (drf.NotAuthenticated, drf.AuthenticationFailed)):
        return Failure(401, "unauthorized", str(exc.detail))
    if isinstance(exc, drf.PermissionDenied):
        return Failure(403, "forbidden", str(exc.detail))
    if isinstance(exc, DjangoPermissionDenied):
        return Failure(403, "forbidden", "Forbidden.")
    if isinstance(exc, (drf.NotFound, Http404)):
        return Failure(404, "not_found", "Not found.")
    if isinstance(exc, drf.MethodNotAllowed):
        return Failure(405, "method_not_allowed", str(exc.detail))
    if isinstance(exc, drf.Throttled):
        return Failure(429, "rate_limited", "Too many requests; retry later.", headers={"Retry-After": str(int(exc.wait or 60))})
    if isinstance(exc, RequestDataTooBig):
        return Failure(413, "payload_too_large", "The request body is too large.")
    if isinstance(exc, STORE_UNAVAILABLE + CACHE_UNAVAILABLE) or (isinstance(exc, DatabaseError) and _looks_unavailable(exc)):
        logger.error("store unavailable: %s", exc.__class__.__name__)
        return Failure(503, "service_unavailable", "The store is temporarily unavailable; retry shortly.", headers={"Retry-After": "5"})
    if isinstance(exc, drf.APIException):
        return Failure(exc.status_code, code_for_status(exc.status_code), str(exc.detail))
    return None


def exception_to_response(exc: Exception) -> JsonResponse | None:
    """Map an exception to an envelope response, or None when it is a genuine bug."""
    failure = failure_for(exc)
    return failure.response() if failure is not None else None


# PostgreSQL's "relation does not exist": SQLite reports a missing table as an OperationalError
# (503 above); a table gone missing is the store's state, not a bug in the request.
UNDEFINED_TABLE = "42P01"


def _looks_unavailable(exc: DatabaseError) -> bool:
    return isinstance(exc.__cause__, STORE_UNAVAILABLE) or getattr(exc.__cause__, "sqlstate", None) == UNDEFINED_TABLE


SERVER_ERROR = Failure(500, "server_error", "Internal server error.")


def api_exception_handler(exc: Exception, context: dict) -> JsonResponse:
    """DRF's handler: the envelope, and the failure event of a refusal that no flow published."""
    failure = failure_for(exc)
    if failure is None:
        logger.exception("unhandled error in %s", context.get("view").__class__.__name__, exc_info=exc)
        failure = SERVER_ERROR
    _announce(exc, failure, context.get("view"), context.get("request"))
    return failure.response()


def _announce(exc: Exception, failure: Failure, view, request) -> None:
    """The source of the failure events of refusals decided in DRF's hooks (core.refusals).

    A flow publishes the failures it decides itself; `refusal_publish` leaves those alone.
    """
    action = getattr(view, "action_name", None)
    # Only our views name an action; a method the path does not take (405) attempted none.
    if action is None or request is None or isinstance(exc, drf.MethodNotAllowed):
        return
    client = getattr(view, "client", None)
    refusal_publish(
        exc,
        code=failure.code,
        operation=action or "api_call",
        client_id=client.client_id if client is not None else None,
        request_meta=request_meta(request, key_is_valid=client is not None),
    )
