"""Keeps every `/api/` response in the JSON error envelope, whatever raised it.

DRF views already answer with the envelope. This middleware covers what happens outside
them: Django's resolver 404, 405 from plain views, 400 for a bad Host header, 500 pages
(even the DEBUG technical page, which would leak a stack trace), and bodies over the size
limit, which DRF's stream parsing would otherwise read without checking.
"""

import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse

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


class ApiErrorEnvelopeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _declared_length(request) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            return error_response(413, "payload_too_large", f"The request body is over {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes.")
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
