"""The service's own exceptions: the error codes of the API contract (docs/api.md §4).

The base and the codes any app may answer live here, below every app; each app declares its
own codes in its `errors` module. Every class registers itself by its code, so the error
envelope (`authsvc.exceptions`), the OpenAPI description and the client's documentation page
all read one list: `error_classes()`.
"""

from typing import Any

from django.utils.module_loading import autodiscover_modules

_REGISTRY: dict[str, type["ServiceError"]] = {}


class ServiceError(Exception):
    code = "invalid_request"
    status_code = 400
    default_detail = "The request is invalid."
    # For a client developer: when this code is answered (the docs page and the OpenAPI text).
    meaning = ""
    # The code that framework failures of this status (a DRF or Django error, not ours) get.
    answers_for_status = False

    # What the error is: its code and text, the fields at fault, and whose attempt it was (the
    # user a flow found, if any). How it is recorded is the business of the failure event that
    # the flow publishes (core.events), not of the error.
    def __init__(self, detail: str | None = None, *, fields: dict[str, Any] | None = None, user_id: Any = None):
        self.detail = detail or self.default_detail
        self.fields = fields
        self.user_id = user_id
        super().__init__(self.detail)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        _REGISTRY.setdefault(cls.code, cls)


def error_classes() -> list[type[ServiceError]]:
    """Every error code the API answers with (one class per code), by status then code."""
    autodiscover_modules("errors")  # each app's own codes register when its module is imported
    return sorted(_REGISTRY.values(), key=lambda error: (error.status_code, error.code))


def code_for_status(status: int) -> str:
    """The code of a failure that only has an HTTP status (Django's 404, DRF's 405, ...)."""
    for error in error_classes():
        if error.status_code == status and error.answers_for_status:
            return error.code
    return "invalid_request" if status < 500 else "server_error"


class InvalidRequest(ServiceError):
    meaning = 'The body or query is invalid; "fields" says which field and why.'
    answers_for_status = True


class Unauthorized(ServiceError):
    code = "unauthorized"
    status_code = 401
    default_detail = "A valid access key is required: Authorization: Bearer <access_key>."
    meaning = "The access key is missing or wrong (the answer carries WWW-Authenticate: Bearer)."
    answers_for_status = True

    def __init__(self, detail: str | None = None, *, key_problem: str = ""):
        self.key_problem = key_problem  # why the key was refused: missing, malformed, unknown, revoked
        super().__init__(detail)


class Forbidden(ServiceError):
    code = "forbidden"
    status_code = 403
    default_detail = "This access key may not act on this client."
    meaning = "The key belongs to another client, this client is disabled, or registration is closed."
    answers_for_status = True

    def __init__(self, detail: str | None = None, *, key_problem: str = "", path_client_id: str = ""):
        self.key_problem = key_problem
        self.path_client_id = path_client_id  # the client the path named, when the key is another's
        super().__init__(detail)


class NotFound(ServiceError):
    code = "not_found"
    status_code = 404
    default_detail = "Not found."
    meaning = "No such resource for this client."
    answers_for_status = True


class MethodNotAllowed(ServiceError):
    code = "method_not_allowed"
    status_code = 405
    default_detail = "Method not allowed."
    meaning = "This path does not take that HTTP method."
    answers_for_status = True


class PayloadTooLarge(ServiceError):
    code = "payload_too_large"
    status_code = 413
    default_detail = "The request body is too large."
    meaning = "The request body is over the size limit."
    answers_for_status = True


class RateLimited(ServiceError):
    code = "rate_limited"
    status_code = 429
    default_detail = "Too many requests; retry later."
    meaning = "Too many requests; wait the number of seconds in Retry-After."
    answers_for_status = True

    def __init__(self, detail: str | None = None, *, retry_after: int = 60, attempted: str = "", limit: str = ""):
        self.retry_after = retry_after
        self.attempted = attempted  # the operation refused
        self.limit = limit  # the bucket that overflowed (settings.AUTHSVC_RATE_LIMITS)
        super().__init__(detail)


class ServerError(ServiceError):
    code = "server_error"
    status_code = 500
    default_detail = "Internal server error."
    meaning = "A bug on our side: it is logged, the answer never details it."
    answers_for_status = True


class ServiceUnavailable(ServiceError):
    code = "service_unavailable"
    status_code = 503
    default_detail = "The service is temporarily unavailable; retry shortly."
    meaning = "The database or the shared cache is down; retry shortly."
    answers_for_status = True
