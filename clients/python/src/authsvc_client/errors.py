"""Errors the SDK raises: one class per error code of the API (docs/api.md §4), each carrying the envelope.

Every answer that is not a success is `{"error": code, "detail": text, "fields"?: {...}}`; the class is
chosen by `code`, then by the HTTP status for a code this version does not know, so a newer server's
codes still land in the right family (a 4xx is never mistaken for an outage).
"""

from __future__ import annotations

from typing import Any


class AuthsvcError(Exception):
    """An answer of authsvc that is not a success, or no answer at all (`status` None)."""

    code: str = "error"

    def __init__(
        self,
        detail: str,
        *,
        code: str | None = None,
        status: int | None = None,
        fields: dict[str, Any] | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(f"{code or self.code}: {detail}" if status is None else f"{status} {code or self.code}: {detail}")
        self.detail = detail
        self.code = code or self.code
        self.status = status
        self.fields = fields or {}
        self.retry_after = retry_after


class AuthsvcConnectionError(AuthsvcError):
    """No answer: the service could not be reached, or did not answer within the timeout."""

    code = "connection_error"


class ValidationError(AuthsvcError):
    """400 `invalid_request`: `fields` names each refused field with its messages."""

    code = "invalid_request"


class UnsafeUrl(ValidationError):
    """400 `unsafe_url`: a URL the service will not deliver to."""

    code = "unsafe_url"


class Unauthorized(AuthsvcError):
    """401 `unauthorized`: the access key is missing, malformed, unknown or revoked."""

    code = "unauthorized"


class InvalidCredentials(AuthsvcError):
    """401 `invalid_credentials`: unknown email or wrong password (the service does not say which)."""

    code = "invalid_credentials"


class InvalidToken(AuthsvcError):
    """401 `invalid_token`: a refresh token that is forged, expired, revoked or of another client."""

    code = "invalid_token"


class TokenReused(InvalidToken):
    """401 `token_reused`: a spent refresh token came back; its whole login was revoked."""

    code = "token_reused"


class InvalidMfaCode(AuthsvcError):
    """401 `invalid_mfa_code`: a second factor's code that is wrong, outside its window or used, or a passkey
    that does not prove the factor (the `mfa_token` takes 5 codes)."""

    code = "invalid_mfa_code"


class InvalidPasskey(AuthsvcError):
    """401 `invalid_passkey`: a passwordless login's credential refused (ask for new options)."""

    code = "invalid_passkey"


class Forbidden(AuthsvcError):
    """403 `forbidden`: another client's key, a disabled client, closed registration."""

    code = "forbidden"


class EmailNotVerified(AuthsvcError):
    """403 `email_not_verified`: right password, but the client requires a verified email."""

    code = "email_not_verified"


class AccountDisabled(AuthsvcError):
    """403 `account_disabled`: right password, but the user is deactivated."""

    code = "account_disabled"


class NotFound(AuthsvcError):
    """404 `not_found`: no such user (or path)."""

    code = "not_found"


class MethodNotAllowed(AuthsvcError):
    code = "method_not_allowed"


class Conflict(AuthsvcError):
    """409: the request conflicts with what is stored."""

    code = "conflict"


class EmailTaken(Conflict):
    """409 `email_taken`: this client already has a user with that email."""

    code = "email_taken"


class WebhookLimitReached(Conflict):
    """409 `webhook_limit_reached`: the client has as many webhooks as it may."""

    code = "webhook_limit_reached"


class MfaConflict(Conflict):
    """409 `mfa_conflict`: the user's factors do not allow this (TOTP on already, nothing pending, no factor
    to back up, a passkey registered already or an eleventh, no passkey to prove)."""

    code = "mfa_conflict"


class PasskeysNotConfigured(Conflict):
    """409 `passkeys_not_configured`: a passkey call while the client has no `passkey_rp_id` setting."""

    code = "passkeys_not_configured"


class PayloadTooLarge(AuthsvcError):
    code = "payload_too_large"


class RateLimited(AuthsvcError):
    """429 `rate_limited`: over a limit; `retry_after` says how many seconds to wait."""

    code = "rate_limited"


class LoginLocked(RateLimited):
    """429 `login_locked`: the client's lockout refuses this email's logins until a password reset, staff,
    or `retry_after` seconds (the same answer for an email without an account)."""

    code = "login_locked"


class ServerError(AuthsvcError):
    """500 `server_error`: a bug on the service's side (logged there, never detailed)."""

    code = "server_error"


class ServiceUnavailable(AuthsvcError):
    """503 `service_unavailable`: the service's database or cache is down; `retry_after` seconds."""

    code = "service_unavailable"


BY_CODE: dict[str, type[AuthsvcError]] = {
    cls.code: cls
    for cls in (
        ValidationError, UnsafeUrl, Unauthorized, InvalidCredentials, InvalidToken, TokenReused, InvalidMfaCode, InvalidPasskey,
        Forbidden, EmailNotVerified, AccountDisabled, NotFound, MethodNotAllowed, EmailTaken, WebhookLimitReached, MfaConflict,
        PasskeysNotConfigured, PayloadTooLarge, RateLimited, LoginLocked,
        ServerError, ServiceUnavailable,
    )
}

BY_STATUS: dict[int, type[AuthsvcError]] = {
    400: ValidationError,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    405: MethodNotAllowed,
    409: Conflict,
    413: PayloadTooLarge,
    429: RateLimited,
    500: ServerError,
    503: ServiceUnavailable,
}


def error_class(code: str | None, status: int) -> type[AuthsvcError]:
    """The class of an error answer: by its code, else by its status, else the base class."""
    if code in BY_CODE:
        return BY_CODE[code]
    return BY_STATUS.get(status, ServerError if status >= 500 else AuthsvcError)


def error_from_answer(status: int, body: Any, retry_after: float | None) -> AuthsvcError:
    """The exception for an error answer: the envelope's fields when it is one, the status otherwise."""
    envelope = body if isinstance(body, dict) else {}
    code = envelope.get("error") if isinstance(envelope.get("error"), str) else None
    detail = envelope.get("detail") if isinstance(envelope.get("detail"), str) else f"HTTP {status}"
    fields = envelope.get("fields") if isinstance(envelope.get("fields"), dict) else None
    cls = error_class(code, status)
    return cls(detail, code=code or cls.code, status=status, fields=fields, retry_after=retry_after)
