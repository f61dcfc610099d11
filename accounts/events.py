"""What happens to a client's end users, their tokens and their mail: the accounts events.

Published by the flows (accounts.flows) and the outbox; audit subscribes (audit.receivers).
Every event carries `client_id`, `user_id` and `request_meta` (core.events.Event); a failure
carries `reason` too, the error code answered or a finer one. The events a client's webhooks
may receive name themselves for it (`webhook=`, core.events).
"""

import uuid
from dataclasses import dataclass

from core.errors import ServiceError
from core.events import Event, Failure

# --- sign-up and login -------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class UserSignedUp(Event, name="user.signed_up", webhook="user.created", webhook_fields=("verification_required",)):
    """A user signed up; with verification required, no tokens yet and a verification mail queued; with a second
    factor required (`mfa_enrollment_required`), no tokens yet but an enrolment mfa_token."""

    verification_required: bool
    verification_queued: bool | None = None  # only when verification is required
    mfa_enrollment_required: bool | None = None  # only when the client requires a factor


@dataclass(frozen=True, kw_only=True)
class UserSignupFailed(Failure, name="user.signup_failed"):
    """A sign-up was refused: the email is taken, or the password or custom fields are refused."""


@dataclass(frozen=True, kw_only=True)
class UserLoggedIn(Event, name="user.logged_in", webhook="user.login"):
    """A user logged in: every login stage passed and a new token family was issued."""


@dataclass(frozen=True, kw_only=True)
class UserLoginFailed(Failure, name="user.login_failed", webhook="user.login_failed", webhook_fields=("reason",)):
    """A login was refused for its credentials: unknown email or wrong password (invalid_credentials); or,
    under the client's lockout, before its password was checked (rate_limited, login_locked)."""


@dataclass(frozen=True, kw_only=True)
class UserLockedOut(Failure, name="user.locked_out", webhook="user.locked_out", webhook_fields=("mode", "failures")):
    """A failed login was the client's `max_failures`-th in a row for its email: from now on that email's
    logins wait (`mode` throttle) or are refused until a password reset or staff unlock it (`mode` lock).
    Published for that attempt instead of user.login_failed; it was answered invalid_credentials, as an
    unknown email's is, and `user_id` is unset when no account has the email."""

    mode: str
    failures: int
    reason: str = "locked_out"


@dataclass(frozen=True, kw_only=True)
class UserUnlocked(Event, name="user.unlocked", webhook="user.unlocked"):
    """Staff cleared the failed logins counted for a user's email (admin): their next login is admitted."""


@dataclass(frozen=True, kw_only=True)
class UserLoginStopped(Failure, name="user.login_stopped", webhook="user.login_failed", webhook_fields=("reason", "stage")):
    """The password was right, but a login stage stopped the login (`stage`; `reason` its code)."""

    stage: str


# --- tokens ------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class TokenRefreshed(Event, name="token.refreshed"):
    """A refresh token was spent for a new pair of the same family; `replayed` when a spent one came back
    within the client's refresh reuse interval and was answered the same refresh token again."""

    replayed: bool | None = None


@dataclass(frozen=True, kw_only=True)
class TokenRefreshFailed(Failure, name="token.refresh_failed"):
    """A refresh was refused: the token is malformed, expired, revoked or its user is gone or disabled."""


@dataclass(frozen=True, kw_only=True)
class TokenReuseDetected(Failure, name="token.reuse_detected", webhook="token.reuse_detected", webhook_fields=("revoked",)):
    """A spent refresh token was presented again: its whole family (`family_id`) was revoked."""

    family_id: uuid.UUID
    revoked: int
    reason: str = "token_reused"


@dataclass(frozen=True, kw_only=True)
class UserLoggedOut(Event, name="user.logged_out"):
    """A refresh token's family was revoked at the user's request (logout)."""


@dataclass(frozen=True, kw_only=True)
class LogoutFailed(Failure, name="user.logout_failed"):
    """A logout was refused: the refresh token is malformed or another client's."""


@dataclass(frozen=True, kw_only=True)
class TokenRevoked(Event, name="token.revoked"):
    """The client revoked a token of its own (token/revoke, RFC 7009), and with it the login it belongs to:
    the token family `family_id` (`revoked` rows were still live; 0 when already revoked). `token_type` is
    what was presented, `access_token` or `refresh_token`; an access token from before sessions (no `sid`)
    names no family, and nothing is revoked."""

    token_type: str
    family_id: uuid.UUID | None
    revoked: int


@dataclass(frozen=True, kw_only=True)
class TokenRevokeFailed(Failure, name="token.revoke_failed"):
    """A revocation named no live token of this client (malformed, unknown, expired or another client's):
    nothing changed, and the call was answered 200 all the same, as RFC 7009 asks."""

    reason: str = "invalid_token"


@dataclass(frozen=True, kw_only=True)
class TokenFamilyRevoked(Event, name="token.family_revoked"):
    """Staff revoked a token family in the admin."""

    family_id: uuid.UUID
    revoked: int
    by: str = "staff"


# --- the client's user management --------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class UserUpdated(Event, name="user.updated", webhook="user.updated", webhook_fields=("fields", "is_active", "email_change")):
    """A user's custom fields, active flag, verified flag (marked verified) or email changed; `fields` names
    them, `is_active` is the new state when it changed, `email_change` whether the new email is pending or applied."""

    fields: tuple[str, ...]
    is_active: bool | None = None
    email_change: str | None = None  # "pending" (a link went to the new address) or "applied"; never an address


@dataclass(frozen=True, kw_only=True)
class UserUpdateFailed(Failure, name="user.update_failed"):
    """A user update was refused: the custom fields do not fit the client's schema."""


@dataclass(frozen=True, kw_only=True)
class UserDeleted(Event, name="user.deleted", webhook="user.deleted"):
    """A user was deleted and their refresh tokens revoked."""


@dataclass(frozen=True, kw_only=True)
class UsersImported(Event, name="users.imported"):
    """Users were imported (`source`: api or command): `lines` read, `created`, `skipped_duplicates` (an
    email already a user, or earlier in the file), `invalid`; `formats` names the password forms of the
    users created (bcrypt, argon2, pbkdf2_sha256, ..., or password for one given in clear). `completed`
    is false when the import stopped part-way (what it created stays). Never an address nor a hash."""

    source: str
    completed: bool
    lines: int
    created: int
    skipped_duplicates: int
    invalid: int
    formats: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class UsersExported(Event, name="users.exported"):
    """A client's users were exported (`source`: api or command): `exported` users, with their password
    hashes when `include_hashes` (the command only, never the API); `completed` is false when the
    reader stopped before the end."""

    source: str
    include_hashes: bool
    completed: bool
    exported: int


# --- mailed links ------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class EmailVerificationRequested(Event, name="email.verification_requested"):
    """A verification mail was asked for (email/resend); `mail_queued` is false for an unknown email."""

    mail_queued: bool


@dataclass(frozen=True, kw_only=True)
class EmailVerified(Event, name="email.verified", webhook="user.email_verified"):
    """A user's email was verified with a mailed token."""


@dataclass(frozen=True, kw_only=True)
class EmailChanged(Event, name="email.changed", webhook="user.email_changed"):
    """A pending email change was confirmed with the link mailed to the new address; the old one is notified."""


@dataclass(frozen=True, kw_only=True)
class EmailVerifyFailed(Failure, name="email.verify_failed"):
    """A verification or email-change token was refused (invalid_token; `problem` says why: expired,
    used_or_stale, ...), or the new address was taken meanwhile (email_taken)."""

    problem: str | None = None

    @classmethod
    def of(cls, error: ServiceError, **envelope) -> "EmailVerifyFailed":
        problem = getattr(error, "problem", None)
        reason = "invalid_token" if problem is not None else error.code
        return cls(user_id=error.user_id, reason=reason, problem=problem, **envelope)


@dataclass(frozen=True, kw_only=True)
class PasswordResetRequested(Event, name="password.reset_requested"):
    """A password reset mail was asked for (password/forgot); `mail_queued` is false for an unknown email."""

    mail_queued: bool


@dataclass(frozen=True, kw_only=True)
class PasswordReset(Event, name="password.reset", webhook="user.password_reset"):
    """A password was set with a mailed token; every refresh token of the user was revoked."""

    revoked_tokens: int


@dataclass(frozen=True, kw_only=True)
class PasswordResetFailed(Failure, name="password.reset_failed"):
    """A reset was refused: the token (`problem`, reason invalid_token) or the new password (`fields`)."""

    problem: str | None = None
    fields: tuple[str, ...] | None = None

    @classmethod
    def of(cls, error: ServiceError, **envelope) -> "PasswordResetFailed":
        problem = getattr(error, "problem", None)
        if problem is not None:
            return cls(user_id=error.user_id, reason="invalid_token", problem=problem, **envelope)
        return cls(user_id=error.user_id, reason=error.code, fields=tuple(sorted(error.fields or {})), **envelope)


@dataclass(frozen=True, kw_only=True)
class PasswordChanged(Event, name="password.changed", webhook="user.password_changed"):
    """A password was changed with the current one (users/<id>/password); every refresh token was revoked."""

    revoked_tokens: int


@dataclass(frozen=True, kw_only=True)
class PasswordChangeFailed(Failure, name="password.change_failed"):
    """A change was refused: the current password is wrong (invalid_credentials) or the new one (`fields`)."""

    fields: tuple[str, ...] | None = None

    @classmethod
    def of(cls, error: ServiceError, **envelope) -> "PasswordChangeFailed":
        refused = tuple(sorted(error.fields or {})) or None
        return cls(user_id=error.user_id, reason=error.code, fields=refused, **envelope)


@dataclass(frozen=True, kw_only=True)
class MailDeliveryFailed(Failure, name="mail.delivery_failed"):
    """A mail was given up on after its retries (a dead letter, for staff to retry or discard)."""

    mail_id: uuid.UUID
    kind: str
    attempts: int
    last_error: str  # the class of the last error only, never the server's reply
    reason: str = "undelivered"


# --- housekeeping by an operator (manage.py; `request_meta` names the actor) ---------------


@dataclass(frozen=True, kw_only=True)
class TokensPurged(Event, name="tokens.purged"):
    """Expired refresh tokens, and those revoked before `revoked_before`, were deleted (`deleted` rows), and the
    rows of expired mfa_tokens (`mfa_challenges`) and passkey challenges (`passkey_challenges`)."""

    revoked_before: str
    deleted: int
    mfa_challenges: int = 0
    passkey_challenges: int = 0


@dataclass(frozen=True, kw_only=True)
class UserEmailsNormalized(Event, name="user.emails_normalized"):
    """A client's stored emails were rewritten in their canonical spelling: how many, never the addresses."""

    changed: int
    collisions: int


@dataclass(frozen=True, kw_only=True)
class SigningKeyRotated(Event, name="signing_key.rotated"):
    """A signing key was added (`kid`; staged until `signs_from` unless `at_once`); `dropped` kids left the keyring."""

    kid: str
    signs_from: str | None
    dropped: tuple[str, ...]
    at_once: bool
