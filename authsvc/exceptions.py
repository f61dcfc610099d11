"""The one place that turns errors into the API's JSON envelope (docs/api.md §4).

`{"error": <code>, "detail": <text>}` plus `"fields"` on validation errors. DRF views reach
this through `api_exception_handler`; everything else on `/api/` (Django's own 404, 405,
400, 413 and 500 paths) goes through `authsvc.middleware`, which uses `error_response`.
"""

import logging
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

logger = logging.getLogger("authsvc.errors")

STORE_UNAVAILABLE = (OperationalError, InterfaceError, ConnectionFailure)
# The shared cache holds the rate-limit counters: without it no call can be counted, so
# the answer is the same 503 as for the database (fail closed), not a 500.
CACHE_UNAVAILABLE = (ConnectionInterrupted, RedisConnectionError, RedisTimeoutError)


def error_response(
    status: int,
    code: str | None = None,
    detail: str | None = None,
    *,
    fields: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JsonResponse:
    body: dict[str, Any] = {
        "error": code or code_for_status(status),
        "detail": detail or HTTPStatus(status).phrase,
    }
    if fields:
        body["fields"] = fields
    response = JsonResponse(body, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="authsvc"'
    return response


def service_error_response(exc: ServiceError) -> JsonResponse:
    headers = {}
    if getattr(exc, "retry_after", None) is not None:
        headers["Retry-After"] = str(exc.retry_after)
    return error_response(exc.status_code, exc.code, exc.detail, fields=exc.fields, headers=headers)


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


def exception_to_response(exc: Exception) -> JsonResponse | None:
    """Map an exception to an envelope response, or None when it is a genuine bug."""
    if isinstance(exc, ServiceError):
        return service_error_response(exc)
    if isinstance(exc, drf.ValidationError):
        return error_response(400, "invalid_request", "Some fields are invalid.", fields=_flatten_validation(exc.detail))
    if isinstance(exc, drf.ParseError):
        return error_response(400, "invalid_request", "The body is not valid JSON.")
    if isinstance(exc, drf.UnsupportedMediaType):
        return error_response(400, "invalid_request", "The body must be JSON (Content-Type: application/json).")
    if isinstance(exc, (drf.NotAuthenticated, drf.AuthenticationFailed)):
        return error_response(401, "unauthorized", str(exc.detail))
    if isinstance(exc, drf.PermissionDenied):
        return error_response(403, "forbidden", str(exc.detail))
    if isinstance(exc, DjangoPermissionDenied):
        return error_response(403, "forbidden", "Forbidden.")
    if isinstance(exc, (drf.NotFound, Http404)):
        return error_response(404, "not_found", "Not found.")
    if isinstance(exc, drf.MethodNotAllowed):
        return error_response(405, "method_not_allowed", str(exc.detail))
    if isinstance(exc, drf.Throttled):
        return error_response(429, "rate_limited", "Too many requests; retry later.", headers={"Retry-After": str(int(exc.wait or 60))})
    if isinstance(exc, RequestDataTooBig):
        return error_response(413, "payload_too_large", "The request body is too large.")
    if isinstance(exc, STORE_UNAVAILABLE + CACHE_UNAVAILABLE) or (isinstance(exc, DatabaseError) and _looks_unavailable(exc)):
        logger.error("store unavailable: %s", exc.__class__.__name__)
        return error_response(503, "service_unavailable", "The store is temporarily unavailable; retry shortly.", headers={"Retry-After": "5"})
    if isinstance(exc, drf.APIException):
        return error_response(exc.status_code, None, str(exc.detail))
    return None


# PostgreSQL's "relation does not exist": SQLite reports a missing table as an OperationalError
# (503 above); a table gone missing is the store's state, not a bug in the request.
UNDEFINED_TABLE = "42P01"


def _looks_unavailable(exc: DatabaseError) -> bool:
    return isinstance(exc.__cause__, STORE_UNAVAILABLE) or getattr(exc.__cause__, "sqlstate", None) == UNDEFINED_TABLE


def api_exception_handler(exc: Exception, context: dict) -> JsonResponse | None:
    response = exception_to_response(exc)
    if response is None:
        logger.exception("unhandled error in %s", context.get("view").__class__.__name__, exc_info=exc)
        return error_response(500, "server_error", "Internal server error.")
    return response
