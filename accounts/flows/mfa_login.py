"""The second step of a login: the MFA login stage, its `mfa_token`, and `login/mfa`.

After the right password, a user with a factor on gets an `mfa_token` (and no tokens) naming the
methods they can prove; so does a user without one when the client's `mfa_policy` is `required`,
who must enrol TOTP with it (`login/mfa/totp`, then `login/mfa/totp/confirm`). The token names a
row of `mfa_challenges` (accounts.models.MfaChallenge): bound to its client, its user and the
user's token generation at the password check; spent by the one call that finishes the login;
dead after MFA_TOKEN_SECONDS or MAX_ATTEMPTS codes. Each code first claims an attempt with a
conditional update, so processes racing on one token cannot try more than MAX_ATTEMPTS in all.
"""

import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from accounts.errors import InvalidMfaCode, InvalidToken
from accounts.flows.login import LoginDone
from accounts.flows.login_stages import LoginStep
from accounts.flows.mfa import TotpEnrolment, totp_confirm_write, totp_enrol
from accounts.flows.mfa_methods import Checked, methods_offered, mfa_methods
from accounts.flows.minting import pair_issue
from accounts.mfa_events import MfaFailed, MfaRequired, MfaVerified
from accounts.mfa_factors import confirmed_factors
from accounts.models import MfaChallenge, MfaPurpose
from accounts.selectors import mfa_challenge_of, user_get
from core.events import failures_published, publish, publish_refusal
from core.inserts import row_insert
from core.request_meta import RequestMeta
from core.updates import row_update_if
from crypto.hmac_keys import hmac_digest, hmac_matches
from tenants.models import AbstractTenantUser, Client, MfaPolicy

MFA_TOKEN_SECONDS = 300
MAX_ATTEMPTS = 5
TOKEN_SALT = "authsvc.accounts.mfa_token"
MFA_TOKEN = re.compile(r"mfa_(?P<challenge_id>[0-9a-f]{32})\.[A-Za-z0-9_-]{43}")


class MfaStage:
    """The login stage that asks for a second factor (registered by AccountsConfig.ready)."""

    key = "mfa"

    def stop(self, *, client: Client, user: AbstractTenantUser) -> LoginStep | None:
        mfa = user.mfa or {}
        if confirmed_factors(mfa):
            methods = methods_offered(mfa)
            token = mfa_challenge_issue(client=client, user=user, purpose=MfaPurpose.VERIFY)
            return _step(client, user, {"mfa_required": True, "mfa_token": token, "methods": methods}, methods, enrollment=False)
        if client.mfa_policy == MfaPolicy.REQUIRED:
            token = mfa_challenge_issue(client=client, user=user, purpose=MfaPurpose.ENROL)
            return _step(client, user, {"mfa_enrollment_required": True, "mfa_token": token}, ["totp"], enrollment=True)
        return None


def _step(client: Client, user: AbstractTenantUser, answer: dict, methods: list[str], *, enrollment: bool) -> LoginStep:
    def announce(request_meta: RequestMeta | None) -> MfaRequired:
        return MfaRequired(client_id=client.client_id, user_id=user.user_id, methods=tuple(methods), enrollment=enrollment,
                           request_meta=request_meta)

    return LoginStep(answer=answer, announce=announce)


def mfa_challenge_issue(*, client: Client, user: AbstractTenantUser, purpose: str) -> str:
    challenge_id = uuid.uuid4()
    token = f"mfa_{challenge_id.hex}.{secrets.token_urlsafe(32)}"
    challenge = MfaChallenge(
        challenge_id=challenge_id, client=client, user_id=user.user_id, token_hash=hmac_digest(TOKEN_SALT, token), purpose=purpose,
        token_generation=user.current_token_generation, expires_at=timezone.now() + timedelta(seconds=MFA_TOKEN_SECONDS),
    )
    row_insert(challenge)
    return token


def mfa_challenge_open(*, client: Client, mfa_token: str, purpose: str, request_meta: RequestMeta | None = None) -> MfaChallenge:
    """The live challenge `mfa_token` names for this client and purpose; else 401 invalid_token (published)."""
    with failures_published(MfaFailed, client_id=client.client_id, request_meta=request_meta):
        parsed = MFA_TOKEN.fullmatch(mfa_token)
        row = None if parsed is None else mfa_challenge_of(client=client, challenge_id=uuid.UUID(parsed["challenge_id"]))
        if row is None or not hmac_matches(TOKEN_SALT, mfa_token, row.token_hash):
            raise InvalidToken("The mfa_token is invalid or expired: log in again.")
        if row.purpose != purpose or not _live(row):
            raise InvalidToken("The mfa_token is invalid, expired or used up: log in again.", user_id=row.user_id)
    return row


def _live(row: MfaChallenge) -> bool:
    return row.spent_at is None and row.expires_at > timezone.now() and row.attempts < MAX_ATTEMPTS


def _claim_attempt(row: MfaChallenge, *, spend: bool = False) -> int:
    """Count one code against the token (and, for a right one, spend the token in the same update) before
    the code is answered or used; the attempts left after it. Another call's claim in between is read
    back and this one tried again, so all calls together never count more than MAX_ATTEMPTS."""
    for _ in range(MAX_ATTEMPTS + 1):
        if not _live(row):
            break
        changes = {"attempts": row.attempts + 1, **({"spent_at": timezone.now()} if spend else {})}
        if row_update_if(MfaChallenge, row.pk, expected={"attempts": row.attempts, "spent_at": None}, changes=changes):
            row.attempts += 1
            return MAX_ATTEMPTS - row.attempts
        row.refresh_from_db(fields=["attempts", "spent_at"])
    raise InvalidToken("The mfa_token is invalid, expired or used up: log in again.", user_id=row.user_id)


def _challenge_user(client: Client, row: MfaChallenge) -> AbstractTenantUser:
    """The user, still active and with the token generation of the password check (no reset since)."""
    user = user_get(client=client, user_id=row.user_id)
    if user is None or not user.is_active or user.current_token_generation != row.token_generation:
        raise InvalidToken("The mfa_token is no longer valid: log in again.", user_id=row.user_id)
    return user


def mfa_challenge_user(*, client: Client, challenge: MfaChallenge, request_meta: RequestMeta | None = None) -> AbstractTenantUser:
    """The user a live challenge is for, still as at the password check; else 401 invalid_token (published)."""
    with failures_published(MfaFailed, client_id=client.client_id, request_meta=request_meta):
        return _challenge_user(client, challenge)


def _spend(row: MfaChallenge) -> None:
    if not MfaChallenge.objects.filter(pk=row.pk, spent_at__isnull=True).update(spent_at=timezone.now()):
        raise InvalidToken("The mfa_token was used by another call: log in again.", user_id=row.user_id)


def _wrong_code(client: Client, row: MfaChallenge, attempts_left: int, request_meta: RequestMeta | None) -> InvalidMfaCode:
    failed = MfaFailed(client_id=client.client_id, user_id=row.user_id, reason=InvalidMfaCode.code, attempts_left=attempts_left,
                       request_meta=request_meta)
    return publish_refusal(failed, InvalidMfaCode(user_id=row.user_id))


def _check(client: Client, user: AbstractTenantUser, proofs: dict, request_meta: RequestMeta | None) -> Checked | None:
    for method in mfa_methods():
        proof = proofs.get(method.proof_field)
        if proof is not None and method.offered(user.mfa or {}) and method.recognises(proof):
            return method.check(client=client, user=user, proof=proof, request_meta=request_meta)
    return None


def mfa_login_verify(*, client: Client, challenge: MfaChallenge, proofs: dict, request_meta: RequestMeta | None = None) -> LoginDone:
    """Finish the login with a proof of one of the user's methods (`proofs`: the body's proof fields).

    The proof is checked first (reads only), but answered only once its attempt is counted: a wrong one
    claims an attempt, a right one claims the attempt and spends the token in one update, then is used
    up. A right code that another call used in between (a replay racing this one) is refused then.
    """
    envelope = {"client_id": client.client_id, "request_meta": request_meta}
    with failures_published(MfaFailed, **envelope):
        user = _challenge_user(client, challenge)
        checked = _check(client, user, proofs, request_meta)
        attempts_left = _claim_attempt(challenge, spend=checked is not None)
        proof = checked.use() if checked is not None else None
        if proof is None:
            raise _wrong_code(client, challenge, attempts_left, request_meta)
    pair = pair_issue(client=client, user=user)
    publish(proof.event(**envelope, user_id=user.user_id, **proof.details))
    return LoginDone(user=user, tokens=pair)


def mfa_login_totp_enrol(*, client: Client, challenge: MfaChallenge, request_meta: RequestMeta | None = None) -> TotpEnrolment:
    """A pending TOTP secret for the user the enrolment token names (the token stays usable)."""
    with failures_published(MfaFailed, client_id=client.client_id, request_meta=request_meta):
        user = _challenge_user(client, challenge)
    return totp_enrol(client=client, user=user, via="login", request_meta=request_meta)


@dataclass(frozen=True)
class EnrolledLogin:
    done: LoginDone
    recovery_codes: list[str]


def mfa_login_totp_confirm(*, client: Client, challenge: MfaChallenge, code: str, request_meta: RequestMeta | None = None) -> EnrolledLogin:
    """Turn the pending TOTP on with a code of it and finish the login: recovery codes and a token pair."""
    envelope = {"client_id": client.client_id, "request_meta": request_meta}
    with failures_published(MfaFailed, **envelope):
        attempts_left = _claim_attempt(challenge)
        user = _challenge_user(client, challenge)
        try:
            codes = totp_confirm_write(client=client, user=user, code=code)
        except InvalidMfaCode:
            raise _wrong_code(client, challenge, attempts_left, request_meta) from None
        _spend(challenge)
    pair = pair_issue(client=client, user=user)
    publish(MfaVerified(**envelope, user_id=user.user_id, method="totp", enrolled=True))
    return EnrolledLogin(done=LoginDone(user=user, tokens=pair), recovery_codes=codes)
