"""Keeps every `/api/` response in the JSON error envelope, whatever raised it.

DRF views already answer with the envelope. This middleware covers what happens outside
them: Django's resolver 404, 405 from plain views, 400 for a bad Host header, 500 pages
(even the DEBUG technical page, which would leak a stack trace), and bodies over the size
limit, which DRF's stream parsing would otherwise read without checking.

It also takes every `/api/` path with or without its trailing slash. Otherwise `POST
.../signup/` would be a bare 404, and `GET /api/v1/{client_id}` a 301 from APPEND_SLASH with
an empty body (a client following it would turn a POST into a GET and lose the body).
"""

import logging
import re
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, is_valid_path, resolve

from authsvc.exceptions import error_response, exception_to_response

logger = logging.getLogger("authsvc.errors")

API_PREFIX = "/api/"


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


def _declared_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


# What the `<uuid:>` path converter matches; any such id routes like any other.
CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
SOME_UUID = "00000000-0000-0000-0000-000000000000"


@lru_cache(maxsize=512)
def _routes(shape: str) -> bool:
    return is_valid_path(shape)


def _is_routed(path: str) -> bool:
    """is_valid_path, remembered per shape of path (ids replaced by one id): resolving the
    URLconf once more on every call cost a tenth of a verify. Paths with the same shape
    route the same way, and the number of shapes a request can hit is bounded by the cache."""
    return _routes(CANONICAL_UUID.sub(SOME_UUID, path))


def _route_other_spelling(request: HttpRequest) -> None:
    """Route `/api/...` to its other spelling (slash added or dropped) when only that one exists.

    Runs before CommonMiddleware, which then finds a valid path and never redirects.
    """
    path = request.path_info
    if _is_routed(path):
        return
    other = path[:-1] if path.endswith("/") else f"{path}/"
    if _is_routed(other):
        request.path_info = other
        request.path = request.path[: len(request.path) - len(path)] + other


@lru_cache(maxsize=512)
def _view_body_limit(shape: str) -> int | None:
    """The larger body a view declares it takes (`max_body_bytes`: users/import), or None."""
    try:
        match = resolve(shape)
    except Resolver404:
        return None
    return getattr(getattr(match.func, "view_class", None), "max_body_bytes", None)


def _body_limit(request: HttpRequest) -> int:
    """DATA_UPLOAD_MAX_MEMORY_SIZE, or the larger bound of the one view that takes more. The view is
    looked up only for a body over the first, so no ordinary call pays for it."""
    path = request.path_info
    if request.method != "POST" or not path.startswith(API_PREFIX):
        return settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    other = path[:-1] if path.endswith("/") else f"{path}/"
    shapes = (CANONICAL_UUID.sub(SOME_UUID, spelling) for spelling in (path, other))
    return next((limit for shape in shapes if (limit := _view_body_limit(shape))), settings.DATA_UPLOAD_MAX_MEMORY_SIZE)


class ApiErrorEnvelopeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        length = _declared_length(request)
        if length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE and length > (limit := _body_limit(request)):
            # Refused unread: the production server answers it "Connection: close" (gunicorn.conf.py).
            return error_response(413, "payload_too_large", f"The request body is over {limit} bytes.")
        if _is_api(request):
            _route_other_spelling(request)
        response = self.get_response(request)
        if _is_api(request) and response.status_code >= 400 and not _is_json(response):
            return error_response(response.status_code)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not _is_api(request):
            return None
        response = exception_to_response(exception)
        if response is None:
            logger.exception("unhandled error on %s", request.path_info, exc_info=exception)
            return error_response(500, "server_error", "Internal server error.")
        return response


def _is_json(response: HttpResponse) -> bool:
    return response.get("Content-Type", "").startswith("application/json")
