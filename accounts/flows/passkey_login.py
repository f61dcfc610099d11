"""Logging in with a passkey: alone, with no password (`login/passkey`), or as the second factor of a
password login (`login/mfa` with `passkey_credential`, after `login/mfa/passkey/options`).

Passwordless: the options carry a challenge (`challenge_id`); with an email they list that user's
passkeys, and for an email with no user or no passkey, one made-up credential id, the same for that
email on every call, so the answer does not tell which emails have accounts. The login spends the
challenge before anything else (a credential is tried once), finds the user (the email's, or the one
the passkey's user handle names among the client's users), checks the assertion, moves the passkey's
counter on, and runs the login stages but the MFA one (the passkey is both factors) before the pair.
"""

from dataclasses import dataclass

from webauthn.helpers.structs import AuthenticationCredential

from accounts.errors import InvalidPasskey, MfaConflict, PasskeysNotConfigured
from accounts.flows.login import LoginContinues, LoginDone, LoginPending, login_stages_run
from accounts.flows.mfa_login import MfaStage, mfa_challenge_user
from accounts.flows.mfa_methods import Checked, Proof
from accounts.flows.minting import pair_issue
from accounts.flows.passkeys import challenge_bytes, challenge_claim, challenge_issue, challenge_live, challenge_spend, passkey_use_write
from accounts.mfa_events import MfaVerified, PasskeyLoggedIn, PasskeyLoginFailed, PasskeySignCountRegressed
from accounts.models import MfaChallenge, PasskeyChallenge, PasskeyPurpose
from accounts.passkeys import (
    Assertion,
    RelyingParty,
    allowed_made_up,
    allowed_of,
    assertion_parse,
    assertion_verify,
    challenge_id_signed,
    passkey_with,
    passkeys_of,
    relying_party,
    request_options,
    user_id_of_handle,
)
from accounts.selectors import user_find_by_email, user_get
from accounts.validation import normalize_email
from core.events import failures_published, publish, publish_refusal
from core.request_meta import RequestMeta
from tenants.models import AbstractTenantUser, Client


@dataclass(frozen=True)
class PasskeyLoginOptions:
    challenge_id: str
    options: dict


def passkey_login_options(*, client: Client, email: str | None = None) -> PasskeyLoginOptions:
    """Options for `navigator.credentials.get`: the email's passkeys (made up when it has none), or
    without an email any discoverable passkey of the client's users."""
    rp = relying_party(client)
    if email is None:
        row, challenge = challenge_issue(client=client, purpose=PasskeyPurpose.LOGIN)
        return PasskeyLoginOptions(str(row.challenge_id), request_options(rp, challenge, None))
    email = normalize_email(email)
    user = user_find_by_email(client=client, email=email)
    allowed = allowed_of(user) if user is not None else []
    user_id = user.user_id if user is not None else None
    row, challenge = challenge_issue(client=client, purpose=PasskeyPurpose.LOGIN, user_id=user_id, named_user=True)
    return PasskeyLoginOptions(str(row.challenge_id), request_options(rp, challenge, allowed or allowed_made_up(client, email)))


@dataclass(frozen=True)
class PasskeyAttempt:
    """A passwordless login whose challenge is spent and whose user is found; the assertion not checked yet."""

    rp: RelyingParty
    challenge: PasskeyChallenge
    credential: AuthenticationCredential
    user: AbstractTenantUser


def _attempt_user(client: Client, row: PasskeyChallenge, parsed: AuthenticationCredential) -> AbstractTenantUser:
    handle = user_id_of_handle(parsed)
    if row.named_user and (row.user_id is None or (handle is not None and handle != row.user_id)):
        raise InvalidPasskey(problem="user", user_id=row.user_id)
    user_id = row.user_id if row.named_user else handle
    user = None if user_id is None else user_get(client=client, user_id=user_id)
    if user is None:
        raise InvalidPasskey(problem="user")
    return user


def passkey_login_open(*, client: Client, challenge_id, credential: object, request_meta: RequestMeta | None = None) -> PasskeyAttempt:
    """Spend the challenge and find whose passkey this claims to be (published as a failed login if refused)."""
    with failures_published(PasskeyLoginFailed, client_id=client.client_id, request_meta=request_meta):
        rp = relying_party(client)
        row = challenge_claim(client=client, challenge_id=challenge_id, purpose=PasskeyPurpose.LOGIN)
        if row is None:
            raise InvalidPasskey(problem="challenge")
        parsed = assertion_parse(credential)
        return PasskeyAttempt(rp=rp, challenge=row, credential=parsed, user=_attempt_user(client, row, parsed))


def passkey_login_finish(*, client: Client, attempt: PasskeyAttempt, request_meta: RequestMeta | None = None) -> LoginDone | LoginPending | LoginContinues:
    """Check the assertion, move the passkey's counter on, run the login stages (but MFA) and issue the pair."""
    user = attempt.user
    with failures_published(PasskeyLoginFailed, client_id=client.client_id, request_meta=request_meta):
        passkey = passkey_with(user.mfa or {}, credential_id=attempt.credential.id)
        if passkey is None:
            raise InvalidPasskey(problem="unknown_passkey", user_id=user.user_id)
        assertion = assertion_verify(attempt.rp, attempt.credential, challenge_bytes(attempt.challenge), passkey, user_id=user.user_id)
        if assertion.counter_went_back:
            raise publish_refusal(_regressed(client, user, assertion, "login", request_meta), InvalidPasskey(problem="sign_count", user_id=user.user_id))
        if not passkey_use_write(user, assertion):
            raise InvalidPasskey(problem="sign_count", user_id=user.user_id)
    stopped = login_stages_run(client=client, user=user, request_meta=request_meta, satisfied=frozenset({MfaStage.key}))
    if stopped is not None:
        return stopped
    pair = pair_issue(client=client, user=user)
    publish(PasskeyLoggedIn(
        client_id=client.client_id, user_id=user.user_id, passkey_id=assertion.passkey_id, user_verified=assertion.user_verified,
        request_meta=request_meta,
    ))
    return LoginDone(user=user, tokens=pair)


def _regressed(client: Client, user: AbstractTenantUser, assertion: Assertion, via: str, request_meta) -> PasskeySignCountRegressed:
    return PasskeySignCountRegressed(
        client_id=client.client_id, user_id=user.user_id, passkey_id=assertion.passkey_id, sign_count=assertion.sign_count,
        stored_sign_count=assertion.stored_sign_count, via=via, request_meta=request_meta,
    )


# --- a passkey as the second factor (login/mfa) ----------------------------------------------


def passkey_mfa_options(*, client: Client, challenge: MfaChallenge, request_meta: RequestMeta | None = None) -> dict:
    """Options for `navigator.credentials.get` that prove the mfa_token's user's passkey (`login/mfa`)."""
    user = mfa_challenge_user(client=client, challenge=challenge, request_meta=request_meta)
    rp = relying_party(client)
    if not passkeys_of(user.mfa or {}):
        raise MfaConflict("This user has no passkey: prove another method.", user_id=user.user_id)
    _, signed = challenge_issue(client=client, purpose=PasskeyPurpose.MFA, user_id=user.user_id, named_user=True)
    return request_options(rp, signed, allowed_of(user))


class PasskeyMethod:
    """`login/mfa` with `passkey_credential`: an assertion of one of the user's passkeys, answering options
    of `login/mfa/passkey/options` (a challenge of this client and user, spent when the proof is used)."""

    key = "passkey"
    proof_field = "passkey_credential"

    def offered(self, mfa: dict) -> bool:
        return bool(passkeys_of(mfa))

    def recognises(self, proof: object) -> bool:
        return isinstance(proof, dict)

    def check(self, *, client: Client, user: AbstractTenantUser, proof: object, request_meta: RequestMeta | None = None) -> Checked | None:
        row = challenge_live(client=client, challenge_id=challenge_id_signed(proof), purpose=PasskeyPurpose.MFA)
        if row is None or row.user_id != user.user_id:
            return None
        try:
            parsed = assertion_parse(proof)
            passkey = passkey_with(user.mfa or {}, credential_id=parsed.id)
            if passkey is None:
                return None
            assertion = assertion_verify(relying_party(client), parsed, challenge_bytes(row), passkey, user_id=user.user_id)
        except (InvalidPasskey, PasskeysNotConfigured):
            return None
        if assertion.counter_went_back:
            publish(_regressed(client, user, assertion, "mfa", request_meta))
            return None

        def use() -> Proof | None:
            if not challenge_spend(row) or not passkey_use_write(user, assertion):
                return None
            return Proof(MfaVerified, {"method": self.key})

        return Checked(use)
