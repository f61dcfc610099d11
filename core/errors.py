"""The service's own exceptions, one per error code of the API contract (docs/api.md §4).

They live in `core`, below every app, so every app can raise them without importing upwards;
`authsvc.exceptions` turns them into the JSON error envelope.
"""

from typing import Any


class ServiceError(Exception):
    code = "invalid_request"
    status_code = 400
    default_detail = "The request is invalid."
    # Set by a service that already announced this failure with a signal of its own,
    # so that views do not announce the same attempt twice.
    announced = False

    def __init__(self, detail: str | None = None, *, fields: dict[str, Any] | None = None):
        self.detail = detail or self.default_detail
        self.fields = fields
        super().__init__(self.detail)


class InvalidRequest(ServiceError):
    pass


class Unauthorized(ServiceError):
    code = "unauthorized"
    status_code = 401
    default_detail = "A valid access key is required: Authorization: Bearer <access_key>."


class InvalidCredentials(ServiceError):
    code = "invalid_credentials"
    status_code = 401
    default_detail = "Invalid email or password."


class InvalidToken(ServiceError):
    code = "invalid_token"
    status_code = 401
    default_detail = "The token is invalid or expired."


class TokenReused(ServiceError):
    code = "token_reused"
    status_code = 401
    default_detail = "This refresh token was already used; its whole family is now revoked."


class Forbidden(ServiceError):
    code = "forbidden"
    status_code = 403
    default_detail = "This access key may not act on this client."


class EmailNotVerified(ServiceError):
    code = "email_not_verified"
    status_code = 403
    default_detail = "The email address is not verified yet."


class AccountDisabled(ServiceError):
    code = "account_disabled"
    status_code = 403
    default_detail = "This account is disabled."


class NotFound(ServiceError):
    code = "not_found"
    status_code = 404
    default_detail = "Not found."


class MethodNotAllowed(ServiceError):
    code = "method_not_allowed"
    status_code = 405
    default_detail = "Method not allowed."


class EmailTaken(ServiceError):
    code = "email_taken"
    status_code = 409
    default_detail = "A user with this email already exists."


class PayloadTooLarge(ServiceError):
    code = "payload_too_large"
    status_code = 413
    default_detail = "The request body is too large."


class RateLimited(ServiceError):
    code = "rate_limited"
    status_code = 429
    default_detail = "Too many requests; retry later."

    def __init__(self, detail: str | None = None, *, retry_after: int = 60):
        self.retry_after = retry_after
        super().__init__(detail)


class ServiceUnavailable(ServiceError):
    code = "service_unavailable"
    status_code = 503
    default_detail = "The service is temporarily unavailable; retry shortly."
