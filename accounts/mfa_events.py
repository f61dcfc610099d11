"""Second factors and passkeys: the accounts events of MFA (docs/api.md §3b and its passkeys section).

Apart from accounts.events only to keep each module small; the same rules hold (core.events).
"""

import uuid
from dataclasses import dataclass

from core.errors import ServiceError
from core.events import Event, Failure

# --- second factors (docs/api.md §3a) ------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class MfaRequired(Event, name="user.login_mfa_required"):
    """The password was right and a second factor is needed: an mfa_token was issued, no tokens yet.
    `methods` the user can prove; `enrollment` when the client requires a factor and the user has none."""

    methods: tuple[str, ...]
    enrollment: bool = False


@dataclass(frozen=True, kw_only=True)
class MfaVerified(Event, name="mfa.verified", webhook="user.login", webhook_fields=("method", "enrolled")):
    """A login finished with a second factor (`method`) and a new token family was issued;
    `enrolled` when that factor was enrolled by this very call (the client requires one)."""

    method: str
    enrolled: bool = False


@dataclass(frozen=True, kw_only=True)
class RecoveryCodeUsed(Event, name="mfa.recovery_code_used", webhook="user.login", webhook_fields=("method", "codes_left")):
    """A login finished with a recovery code, which is now spent; `codes_left` are still unused."""

    codes_left: int
    method: str = "recovery_code"


@dataclass(frozen=True, kw_only=True)
class MfaFailed(Failure, name="mfa.failed", webhook="user.login_failed", webhook_fields=("reason",)):
    """A second-factor step was refused: a wrong or replayed code (invalid_mfa_code; `attempts_left` on the
    mfa_token), or an mfa_token that is unknown, expired, spent, used up or of a changed user (invalid_token)."""

    attempts_left: int | None = None


@dataclass(frozen=True, kw_only=True)
class TotpEnrolmentStarted(Event, name="mfa.totp_enrolment_started"):
    """A TOTP secret was issued to the user, pending until a code of it is confirmed (`via`: "api", or
    "login" for an enrolment the client's policy requires)."""

    via: str = "api"


@dataclass(frozen=True, kw_only=True)
class TotpEnabled(Event, name="mfa.totp_enabled", webhook="user.mfa_enabled"):
    """A pending TOTP secret was confirmed with a code: TOTP is on and a new set of recovery codes issued."""

    recovery_codes: int


@dataclass(frozen=True, kw_only=True)
class TotpConfirmFailed(Failure, name="mfa.totp_confirm_failed"):
    """A TOTP confirmation was refused: a wrong code (invalid_mfa_code) or nothing pending (mfa_conflict)."""


@dataclass(frozen=True, kw_only=True)
class TotpRemoved(Event, name="mfa.totp_removed", webhook="user.mfa_disabled"):
    """The user's TOTP (on or pending) was removed; `recovery_codes_dropped` when no factor is left to back up."""

    recovery_codes_dropped: bool


@dataclass(frozen=True, kw_only=True)
class RecoveryCodesRegenerated(Event, name="mfa.recovery_codes_regenerated", webhook="user.mfa_recovery_codes_regenerated"):
    """A new set of `count` recovery codes replaced the user's old set, which no longer works."""

    count: int


@dataclass(frozen=True, kw_only=True)
class MfaReset(Event, name="mfa.reset", webhook="user.mfa_reset"):
    """Staff removed every second factor of the user (`factors`: what was on); they log in with the password alone,
    or enrol again if the client requires a factor."""

    factors: tuple[str, ...]


# --- passkeys (docs/api.md §3a) ------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class PasskeyRegistered(Event, name="passkey.registered"):
    """A passkey was registered for the user (`passkeys`: how many they have now). `user_verified`: the
    authenticator checked the user (PIN, biometrics); `multi_device`: a passkey synced between devices."""

    passkey_id: uuid.UUID
    passkeys: int
    user_verified: bool
    multi_device: bool


@dataclass(frozen=True, kw_only=True)
class PasskeyRegisterFailed(Failure, name="passkey.register_failed"):
    """A passkey registration was refused (`problem`: malformed, challenge, verification, duplicate, too_many)."""

    problem: str | None = None

    @classmethod
    def of(cls, error: ServiceError, **envelope) -> "PasskeyRegisterFailed":
        return cls(user_id=error.user_id, reason=error.code, problem=getattr(error, "problem", None), **envelope)


@dataclass(frozen=True, kw_only=True)
class PasskeyRemoved(Event, name="passkey.removed"):
    """A passkey of the user was removed (by the client, or by staff in the admin); `recovery_codes_dropped`
    when no factor is left to back up."""

    passkey_id: uuid.UUID
    recovery_codes_dropped: bool


@dataclass(frozen=True, kw_only=True)
class PasskeyLoggedIn(Event, name="passkey.logged_in", webhook="user.login", webhook_fields=("method",)):
    """A user logged in with a passkey alone, no password (login/passkey): the login stages passed, the passkey
    standing for both factors, and a new token family was issued. `user_verified`: the authenticator checked
    the user (PIN, biometrics)."""

    passkey_id: uuid.UUID
    user_verified: bool
    method: str = "passkey"


@dataclass(frozen=True, kw_only=True)
class PasskeyLoginFailed(Failure, name="passkey.login_failed", webhook="user.login_failed", webhook_fields=("reason",)):
    """A passwordless login was refused (invalid_passkey; `problem`: malformed, challenge, user, unknown_passkey,
    verification, sign_count), or the client has no passkey settings (passkeys_not_configured)."""

    problem: str | None = None

    @classmethod
    def of(cls, error: ServiceError, **envelope) -> "PasskeyLoginFailed":
        return cls(user_id=error.user_id, reason=error.code, problem=getattr(error, "problem", None), **envelope)


@dataclass(frozen=True, kw_only=True)
class PasskeySignCountRegressed(Failure, name="passkey.sign_count_regressed"):
    """A passkey's signature was right but its counter did not go up (`sign_count`, not above `stored_sign_count`):
    its key may have been copied to another authenticator. The login (`via`: login or mfa) was refused."""

    passkey_id: uuid.UUID
    sign_count: int
    stored_sign_count: int
    via: str
    reason: str = "sign_count_regressed"
