"""Signed, single-use, client-bound tokens for the links we mail (verify email, reset password).

A token is `django.core.signing` output (HMAC with SECRET_KEY or one of SECRET_KEY_FALLBACKS,
timestamped, 24 h) over
client_id, user_id, purpose and a fingerprint of the user's current state. Nothing is stored:
- bound to the client: the salt includes the client_id, so client B cannot even unsign it;
- bound to the purpose: the salt includes the purpose too, so a reset token never verifies;
- single use: the fingerprint covers email, email_verified and password_hash, which the
  successful use changes (verification flips email_verified, a reset changes the hash), so
  the same token no longer matches afterwards.
Tokens are secrets: never log them, never put them in an event's payload.
"""

import uuid
from datetime import timedelta
from enum import StrEnum

from django.core import signing

from accounts.selectors import user_get
from core.errors import InvalidRequest
from crypto.hmac_keys import hmac_digest, hmac_matches
from tenants.models import AbstractTenantUser, Client

EMAIL_TOKEN_MAX_AGE = timedelta(hours=24)
MAX_EMAIL_TOKEN_LENGTH = 2048  # a real one is about 250 characters


class Purpose(StrEnum):
    VERIFY_EMAIL = "verify_email"
    RESET_PASSWORD = "reset_password"
    # A new address to switch to, mailed to that address: the token carries it (`e`), so no
    # column holds a pending address; the fingerprint covers the current email, so the token
    # dies if the email changes meanwhile (or once it is used).
    CHANGE_EMAIL = "change_email"


class EmailTokenRefused(InvalidRequest):
    """400 `invalid_request` with `fields.token`; `problem` says why (expired, bad_signature, used_or_stale, ...)."""

    def __init__(self, problem: str, *, user_id: uuid.UUID | None = None):
        self.problem = problem
        message = (
            "The token has expired; request a new link."
            if problem == "expired"
            else "The token is invalid or has already been used."
        )
        super().__init__("The token is invalid or expired.", fields={"token": [message]}, user_id=user_id)


def _salt(*, client_id: uuid.UUID, purpose: Purpose) -> str:
    return f"authsvc.accounts.email_token.{purpose}.{client_id}"


FINGERPRINT_LENGTH = 32


def _user_state(user: AbstractTenantUser) -> str:
    return f"{user.email}\x00{int(user.email_verified)}\x00{user.password_hash}"


def _fingerprint_salt(purpose: Purpose) -> str:
    return f"authsvc.accounts.email_token.state.{purpose}"


def user_state_fingerprint(user: AbstractTenantUser, *, purpose: Purpose) -> str:
    return hmac_digest(_fingerprint_salt(purpose), _user_state(user), length=FINGERPRINT_LENGTH)


def user_state_matches(user: AbstractTenantUser, *, purpose: Purpose, fingerprint: str) -> bool:
    """Under the current HMAC key or a fallback, so a key rotation does not void mailed links."""
    return hmac_matches(_fingerprint_salt(purpose), _user_state(user), fingerprint, length=FINGERPRINT_LENGTH)


def email_token_make(*, client: Client, user: AbstractTenantUser, purpose: Purpose, new_email: str | None = None) -> str:
    payload = {
        "c": client.client_id.hex,
        "u": user.user_id.hex,
        "p": str(purpose),
        "f": user_state_fingerprint(user, purpose=purpose),
    }
    if new_email is not None:
        payload["e"] = new_email
    return signing.dumps(payload, salt=_salt(client_id=client.client_id, purpose=purpose), compress=True)


def _payload(*, client: Client, token: str, purpose: Purpose) -> dict:
    if not isinstance(token, str) or not token or len(token) > MAX_EMAIL_TOKEN_LENGTH:
        raise EmailTokenRefused("malformed")
    try:
        payload = signing.loads(token, salt=_salt(client_id=client.client_id, purpose=purpose), max_age=EMAIL_TOKEN_MAX_AGE)
    except signing.SignatureExpired:
        raise EmailTokenRefused("expired") from None
    except (signing.BadSignature, ValueError, UnicodeError):
        # Another client's token lands here too: its salt differs, so its signature does.
        raise EmailTokenRefused("bad_signature") from None
    # The salt already binds both; checking the payload as well costs nothing.
    if not isinstance(payload, dict) or payload.get("c") != client.client_id.hex or payload.get("p") != str(purpose):
        raise EmailTokenRefused("bad_signature")
    return payload


def email_token_signed(*, client: Client, token: str, purpose: Purpose) -> None:
    """Whether `token` is one we signed for this client and purpose within its 24 hours; raises
    EmailTokenRefused. Reads nothing: whatever a stranger sends costs one HMAC and no store access."""
    _payload(client=client, token=token, purpose=purpose)


def email_token_purpose(*, client: Client, token: str, purposes: tuple[Purpose, ...]) -> Purpose:
    """Which of `purposes` this token was signed for (one HMAC each, no store read); raises
    EmailTokenRefused when none: one link page serves verification and email change."""
    for purpose in purposes[:-1]:
        try:
            _payload(client=client, token=token, purpose=purpose)
            return purpose
        except EmailTokenRefused as error:
            if error.problem != "bad_signature":
                raise
    _payload(client=client, token=token, purpose=purposes[-1])
    return purposes[-1]


def email_change_token_read(*, client: Client, token: str) -> tuple[AbstractTenantUser, str]:
    """The user and the new address of a CHANGE_EMAIL token, while it is usable; raises EmailTokenRefused."""
    user = email_token_user(client=client, token=token, purpose=Purpose.CHANGE_EMAIL)
    new_email = _payload(client=client, token=token, purpose=Purpose.CHANGE_EMAIL).get("e")
    if not isinstance(new_email, str) or not new_email:
        raise EmailTokenRefused("bad_signature", user_id=user.user_id)
    return user, new_email


def email_token_user(*, client: Client, token: str, purpose: Purpose) -> AbstractTenantUser:
    """The user a token of this client and purpose was made for, while it is still usable.

    Raises EmailTokenRefused. Reads only: the flows that use a token publish the outcome.
    """
    payload = _payload(client=client, token=token, purpose=purpose)
    user = user_get(client=client, user_id=str(payload.get("u", "")))
    if user is None:
        raise EmailTokenRefused("unknown_user")
    if not user.is_active:
        raise EmailTokenRefused("account_disabled", user_id=user.user_id)
    if not user_state_matches(user, purpose=purpose, fingerprint=str(payload.get("f", ""))):
        raise EmailTokenRefused("used_or_stale", user_id=user.user_id)
    return user
