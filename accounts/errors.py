"""The error codes of the accounts context (end users, their credentials and tokens)."""

from core.errors import InvalidRequest, RateLimited, ServiceError


class InvalidCredentials(ServiceError):
    code = "invalid_credentials"
    status_code = 401
    default_detail = "Invalid email or password."
    meaning = "Wrong email or password; an unknown email gets the same answer."


class InvalidToken(ServiceError):
    code = "invalid_token"
    status_code = 401
    default_detail = "The token is invalid or expired."
    meaning = "The token is malformed, expired, revoked or minted for another client."


class TokenReused(ServiceError):
    code = "token_reused"
    status_code = 401
    default_detail = "This refresh token was already used; its whole family is now revoked."
    meaning = "A refresh token was presented twice: its whole family is revoked, the user logs in again."


class EmailNotVerified(ServiceError):
    code = "email_not_verified"
    status_code = 403
    default_detail = "The email address is not verified yet."
    meaning = "The client requires a verified email and this user has not confirmed theirs yet."


class AccountDisabled(ServiceError):
    code = "account_disabled"
    status_code = 403
    default_detail = "This account is disabled."
    meaning = "The user was deactivated."


class EmailTaken(ServiceError):
    code = "email_taken"
    status_code = 409
    default_detail = "A user with this email already exists."
    meaning = "A user with this email already exists for this client."
    answers_for_status = True


class InvalidMfaCode(ServiceError):
    code = "invalid_mfa_code"
    status_code = 401
    default_detail = "The code is wrong, expired or already used."
    meaning = (
        "The TOTP or recovery code is wrong, outside its time window, or was already used; or the passkey credential does "
        "not prove the factor."
    )


class MfaConflict(ServiceError):
    code = "mfa_conflict"
    status_code = 409
    default_detail = "The user's second factors are not in a state that allows this."
    meaning = (
        "TOTP is already on (remove it first), no TOTP enrolment is pending, the user has no factor to back up, the passkey "
        "is registered already or the user has 10, or the user has no passkey to prove."
    )


class InvalidPasskey(ServiceError):
    code = "invalid_passkey"
    status_code = 401
    default_detail = "The passkey was not accepted: ask for new options and try again."
    meaning = (
        "A passkey's answer was refused: malformed, for an unknown, expired, used or other client's challenge, from "
        "another origin or relying party, of a passkey the user does not have, or with a signature counter that went back."
    )

    def __init__(self, detail: str | None = None, *, problem: str, user_id=None):
        self.problem = problem  # which check refused it (recorded, never answered): see accounts/passkeys.py
        super().__init__(detail, user_id=user_id)


class PasskeysNotConfigured(ServiceError):
    code = "passkeys_not_configured"
    status_code = 409
    default_detail = "Passkeys need the client setting passkey_rp_id (PATCH /api/v1/{client_id}/): the domain your site is on."
    meaning = "The client has not set `passkey_rp_id` (and `passkey_origins`), which every passkey call needs."


class PasskeyCredentialRefused(InvalidRequest):
    """A passkey registration's credential was refused: 400 invalid_request naming `credential`."""

    def __init__(self, detail: str, *, problem: str, user_id=None):
        self.problem = problem  # which check refused it (recorded): challenge, verification
        super().__init__(detail, fields={"credential": [detail]}, user_id=user_id)


class LoginLocked(RateLimited):
    code = "login_locked"
    default_detail = "Too many failed logins for this email: a password reset (password/forgot) unlocks it."
    meaning = (
        "The client's lockout (mode lock) refuses logins of this email after too many failures in a row, "
        "until a password reset or staff unlock it (or Retry-After seconds pass); an unknown email is answered the same."
    )
    answers_for_status = False  # a bare 429 of the framework is rate_limited
