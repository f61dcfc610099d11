"""A user's second factors, managed by the client's backend (users/<id>/mfa/...) and by staff.

TOTP is enrolled in two calls: a secret is issued (pending), then a code of it confirms that the
user's app has it, which turns TOTP on and issues ten recovery codes. Removing the last factor
drops the recovery codes too: they only back a factor up. Every change is one `mfa_write`
(accounts/mfa_factors.py), so concurrent calls cannot interleave halfway.
"""

from dataclasses import dataclass

from django.utils import timezone

from accounts.errors import InvalidMfaCode, MfaConflict
from accounts.flows.passkeys import challenges_end
from accounts.mfa_events import MfaReset, RecoveryCodesRegenerated, TotpConfirmFailed, TotpEnabled, TotpEnrolmentStarted, TotpRemoved
from accounts.mfa_factors import RECOVERY_CODES, TOTP, confirmed_factors, mfa_write, now_text, totp_state
from accounts.models import MfaChallenge
from accounts.recovery_codes import recovery_code_digest, recovery_codes_new
from accounts.totp import otpauth_uri, totp_secret_new, totp_step_of
from core.errors import NotFound
from core.events import failures_published, publish
from core.request_meta import RequestMeta
from crypto.sealed import seal, unseal
from tenants.models import AbstractTenantUser, Client


@dataclass(frozen=True)
class TotpEnrolment:
    secret: str  # shown once, to be put in the user's app; kept sealed
    otpauth_uri: str


def totp_enrol(*, client: Client, user: AbstractTenantUser, via: str = "api", request_meta: RequestMeta | None = None) -> TotpEnrolment:
    """A new pending secret (replacing a pending one); refused while TOTP is on."""
    secret = totp_secret_new()
    pending = {"secret_sealed": seal(secret), "confirmed": False, "created_at": now_text(), "confirmed_at": None, "last_used_step": None}

    def start(mfa: dict) -> dict | None:
        if totp_state(mfa).get("confirmed"):
            return None
        return {**mfa, TOTP: pending}

    if mfa_write(user, start) is None:
        raise MfaConflict("TOTP is already on for this user: remove it (DELETE mfa/totp) to enrol a new secret.", user_id=user.user_id)
    publish(TotpEnrolmentStarted(client_id=client.client_id, user_id=user.user_id, via=via, request_meta=request_meta))
    return TotpEnrolment(secret=secret, otpauth_uri=otpauth_uri(secret, issuer=client.client_name, account=user.email))


def totp_confirm_write(*, client: Client, user: AbstractTenantUser, code: str) -> list[str]:
    """Turn the pending TOTP on with a code of it (that step counts as used) and issue new recovery codes."""
    pending = totp_state(user.mfa)
    if not pending or pending.get("confirmed"):
        raise MfaConflict("No TOTP enrolment is pending for this user: POST mfa/totp first.", user_id=user.user_id)
    step = totp_step_of(code, unseal(pending["secret_sealed"]))
    if step is None:
        raise InvalidMfaCode(user_id=user.user_id)
    codes = recovery_codes_new()
    digests = [recovery_code_digest(code, client_id=client.client_id, user_id=user.user_id) for code in codes]

    def turn_on(mfa: dict) -> dict | None:
        current = totp_state(mfa)
        if current.get("confirmed") or current.get("secret_sealed") != pending["secret_sealed"]:
            return None
        now = now_text()
        return {**mfa, TOTP: {**current, "confirmed": True, "confirmed_at": now, "last_used_step": step},
                RECOVERY_CODES: {"digests": digests, "created_at": now}}

    if mfa_write(user, turn_on) is None:
        raise MfaConflict("This TOTP enrolment changed meanwhile (confirmed or replaced by another call).", user_id=user.user_id)
    return codes


def totp_confirm(*, client: Client, user: AbstractTenantUser, code: str, request_meta: RequestMeta | None = None) -> list[str]:
    with failures_published(TotpConfirmFailed, client_id=client.client_id, request_meta=request_meta):
        codes = totp_confirm_write(client=client, user=user, code=code)
    publish(TotpEnabled(client_id=client.client_id, user_id=user.user_id, recovery_codes=len(codes), request_meta=request_meta))
    return codes


def totp_remove(*, client: Client, user: AbstractTenantUser, request_meta: RequestMeta | None = None) -> None:
    """Remove TOTP, on or pending; with no factor left the recovery codes go too. 404 when there is none."""

    def remove(mfa: dict) -> dict | None:
        if TOTP not in mfa:
            return None
        kept = {name: value for name, value in mfa.items() if name != TOTP}
        return kept if confirmed_factors(kept) else {name: value for name, value in kept.items() if name != RECOVERY_CODES}

    had_codes = RECOVERY_CODES in (user.mfa or {})
    saved = mfa_write(user, remove)
    if saved is None:
        raise NotFound("This user has no TOTP.")
    dropped = had_codes and RECOVERY_CODES not in saved
    publish(TotpRemoved(client_id=client.client_id, user_id=user.user_id, recovery_codes_dropped=dropped, request_meta=request_meta))


def recovery_codes_regenerate(*, client: Client, user: AbstractTenantUser, request_meta: RequestMeta | None = None) -> list[str]:
    """A new set of recovery codes; the old set stops working at once. Only while a factor is on."""
    codes = recovery_codes_new()
    digests = [recovery_code_digest(code, client_id=client.client_id, user_id=user.user_id) for code in codes]

    def replace(mfa: dict) -> dict | None:
        return {**mfa, RECOVERY_CODES: {"digests": digests, "created_at": now_text()}} if confirmed_factors(mfa) else None

    if mfa_write(user, replace) is None:
        raise MfaConflict("This user has no second factor on: recovery codes back one up.", user_id=user.user_id)
    publish(RecoveryCodesRegenerated(client_id=client.client_id, user_id=user.user_id, count=len(codes), request_meta=request_meta))
    return codes


def mfa_reset(*, client: Client, user: AbstractTenantUser, request_meta: RequestMeta | None = None) -> tuple[str, ...]:
    """Staff remove every factor, passkeys included (a user who lost both the app and the codes); their pending
    mfa_tokens and passkey challenges die."""
    was_on: tuple[str, ...] = ()

    def clear(mfa: dict) -> dict:
        nonlocal was_on
        was_on = confirmed_factors(mfa)
        return {}

    mfa_write(user, clear)
    MfaChallenge.objects.filter(client=client, user_id=user.user_id, spent_at__isnull=True).update(spent_at=timezone.now())
    challenges_end(client=client, user_id=user.user_id)  # passkey ceremonies under way end too
    publish(MfaReset(client_id=client.client_id, user_id=user.user_id, factors=was_on, request_meta=request_meta))
    return was_on
