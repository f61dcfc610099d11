"""A user's passkeys, managed by the client's backend (users/<id>/passkeys...) and by staff: the
registration ceremony (options, then the credential the authenticator made), and removal. Also the
challenge rows (accounts.models.PasskeyChallenge) of every passkey ceremony: made here, spent once.

Registration takes two calls: the options carry a challenge bound to the client and the user; the
credential answering them names that challenge (accounts.passkeys.challenge_id_signed), which is
spent before the credential is checked, so a credential is tried once, right or wrong. Every change
of the stored passkeys is one `mfa_write`.
"""

import secrets
import uuid
from datetime import timedelta

from django.utils import timezone
from webauthn.helpers import bytes_to_base64url

from accounts.errors import InvalidPasskey, MfaConflict, PasskeyCredentialRefused
from accounts.mfa_events import PasskeyRegistered, PasskeyRegisterFailed, PasskeyRemoved
from accounts.mfa_factors import PASSKEYS, RECOVERY_CODES, confirmed_factors, mfa_write, now_text
from accounts.models import PasskeyChallenge, PasskeyPurpose
from accounts.passkeys import (
    CHALLENGE_SECONDS,
    MAX_PASSKEYS,
    Assertion,
    b64url_bytes,
    challenge_for,
    challenge_id_signed,
    creation_options,
    passkey_shown,
    passkey_with,
    passkeys_of,
    registration_verify,
    relying_party,
)
from core.errors import NotFound
from core.events import failures_published, publish
from core.request_meta import RequestMeta
from tenants.models import AbstractTenantUser, Client

DEFAULT_NAME = "Passkey"
CHALLENGE_GONE = "The challenge of this credential is unknown, expired or used: ask for new options."

# --- challenges -------------------------------------------------------------------------------


def challenge_issue(
    *, client: Client, purpose: str, user_id: uuid.UUID | None = None, named_user: bool = False
) -> tuple[PasskeyChallenge, bytes]:
    """A new challenge row (live CHALLENGE_SECONDS) and the challenge bytes its options carry."""
    challenge_id = uuid.uuid4()
    challenge = challenge_for(challenge_id, secrets.token_bytes(32))
    row = PasskeyChallenge.objects.create(
        challenge_id=challenge_id, client=client, user_id=user_id, named_user=named_user, purpose=purpose,
        challenge=bytes_to_base64url(challenge), expires_at=timezone.now() + timedelta(seconds=CHALLENGE_SECONDS),
    )
    return row, challenge


def challenge_live(*, client: Client, challenge_id: uuid.UUID | None, purpose: str) -> PasskeyChallenge | None:
    """The client's unspent, unexpired challenge of this purpose, or None (another client's is None too)."""
    if challenge_id is None:
        return None
    row = PasskeyChallenge.objects.filter(pk=challenge_id, client=client, purpose=purpose).first()
    return row if row is not None and row.spent_at is None and row.expires_at > timezone.now() else None


def challenge_spend(row: PasskeyChallenge) -> bool:
    """Spend the challenge, once across processes: False when another call spent it first, or it expired."""
    now = timezone.now()
    return bool(PasskeyChallenge.objects.filter(pk=row.pk, spent_at__isnull=True, expires_at__gt=now).update(spent_at=now))


def challenge_claim(*, client: Client, challenge_id: uuid.UUID | None, purpose: str) -> PasskeyChallenge | None:
    """The live challenge, spent by this call (any answer to it is then its only one); None if there is none."""
    row = challenge_live(client=client, challenge_id=challenge_id, purpose=purpose)
    return row if row is not None and challenge_spend(row) else None


def challenges_end(*, client: Client, user_id: uuid.UUID) -> int:
    """Spend the user's live challenges (their factors were reset): no ceremony under way finishes."""
    live = PasskeyChallenge.objects.filter(client=client, user_id=user_id, spent_at__isnull=True)
    return live.update(spent_at=timezone.now())


def challenge_bytes(row: PasskeyChallenge) -> bytes:
    return b64url_bytes(row.challenge)


# --- registration -----------------------------------------------------------------------------


def passkey_registration_options(*, client: Client, user: AbstractTenantUser) -> dict:
    """The options of `navigator.credentials.create` for a new passkey of `user` (its challenge stored)."""
    rp = relying_party(client)
    if len(passkeys_of(user.mfa or {})) >= MAX_PASSKEYS:
        raise MfaConflict(f"This user has {MAX_PASSKEYS} passkeys, the most there can be: remove one first.", user_id=user.user_id)
    _, challenge = challenge_issue(client=client, purpose=PasskeyPurpose.REGISTER, user_id=user.user_id, named_user=True)
    return creation_options(rp, user, challenge)


def _registration_checked(client: Client, user: AbstractTenantUser, credential: dict, name: str) -> dict:
    rp = relying_party(client)
    row = challenge_live(client=client, challenge_id=challenge_id_signed(credential), purpose=PasskeyPurpose.REGISTER)
    if row is None or row.user_id != user.user_id or not challenge_spend(row):
        raise PasskeyCredentialRefused(CHALLENGE_GONE, problem="challenge", user_id=user.user_id)
    try:
        return registration_verify(rp, credential, challenge_bytes(row), name=name, now=now_text())
    except InvalidPasskey:
        message = "The credential was refused: not made for these options, this relying party id or an allowed origin."
        raise PasskeyCredentialRefused(message, problem="verification", user_id=user.user_id) from None


def passkey_register(
    *, client: Client, user: AbstractTenantUser, credential: dict, name: str | None = None, request_meta: RequestMeta | None = None
) -> dict:
    """Store the passkey a credential of `navigator.credentials.create` proves; what the API shows of it."""
    with failures_published(PasskeyRegisterFailed, client_id=client.client_id, request_meta=request_meta):
        passkey = _registration_checked(client, user, credential, name or DEFAULT_NAME)

        def add(mfa: dict) -> dict | None:
            known = passkeys_of(mfa)
            if passkey_with(mfa, credential_id=passkey["credential_id"]) is not None or len(known) >= MAX_PASSKEYS:
                return None
            return {**mfa, PASSKEYS: [*known, passkey]}

        saved = mfa_write(user, add)
        if saved is None:
            raise MfaConflict("This passkey is registered already, or the user has the most passkeys there can be.", user_id=user.user_id)
    publish(PasskeyRegistered(
        client_id=client.client_id, user_id=user.user_id, passkey_id=uuid.UUID(passkey["passkey_id"]), passkeys=len(passkeys_of(saved)),
        user_verified=passkey["user_verified"], multi_device=passkey["multi_device"], request_meta=request_meta,
    ))
    return passkey_shown(passkey)


# --- use and removal --------------------------------------------------------------------------


def passkey_use_write(user: AbstractTenantUser, assertion: Assertion) -> bool:
    """Record a login with the passkey: its new counter and when. False when it was removed meanwhile, or
    another login moved its counter to or past this one (the same assertion cannot count twice)."""

    def use(mfa: dict) -> dict | None:
        passkey = passkey_with(mfa, passkey_id=assertion.passkey_id)
        stored = (passkey or {}).get("sign_count") or 0
        if passkey is None or ((assertion.sign_count or stored) and assertion.sign_count <= stored):
            return None
        passkey.update(sign_count=assertion.sign_count, last_used_at=now_text())
        return mfa

    return mfa_write(user, use) is not None


def passkey_remove(*, client: Client, user: AbstractTenantUser, passkey_id: str, request_meta: RequestMeta | None = None) -> None:
    """Remove one passkey; with no factor left the recovery codes go too. 404 when the user has no such passkey."""

    def remove(mfa: dict) -> dict | None:
        kept = [passkey for passkey in passkeys_of(mfa) if passkey["passkey_id"] != passkey_id]
        if len(kept) == len(passkeys_of(mfa)):
            return None
        rest = {name: value for name, value in mfa.items() if name != PASSKEYS} | ({PASSKEYS: kept} if kept else {})
        return rest if confirmed_factors(rest) else {name: value for name, value in rest.items() if name != RECOVERY_CODES}

    had_codes = RECOVERY_CODES in (user.mfa or {})
    saved = mfa_write(user, remove)
    if saved is None:
        raise NotFound("This user has no such passkey.")
    dropped = had_codes and RECOVERY_CODES not in saved
    publish(PasskeyRemoved(
        client_id=client.client_id, user_id=user.user_id, passkey_id=uuid.UUID(passkey_id), recovery_codes_dropped=dropped,
        request_meta=request_meta,
    ))
