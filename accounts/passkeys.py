"""Passkeys (WebAuthn): how a user's passkeys are kept, the relying party a client's settings make, and
the options and checks of the two ceremonies. The WebAuthn work itself (CBOR, COSE keys, signatures,
origins, relying-party hashes) is the `webauthn` library's; this module only says what to hand it.

A user's passkeys live in the `mfa` JSON of their row, beside TOTP (accounts/mfa_factors.py):

    {"passkeys": [{"passkey_id", "name", "credential_id", "public_key", "sign_count", "transports",
                   "aaguid", "backed_up", "created_at", "last_used_at"}, ...]}

`credential_id` and `public_key` (COSE) are base64url; a public key is no secret. Why the row and
not a central table: a login finds the user first, then the passkey among theirs. A passwordless
login's credential carries its user handle, which is the user id (so a discoverable passkey names
its user); with an email, the options were made for that user. The user's row is then read anyway
(active? verified?), and its passkeys come with it: no second table to read, none to clean when a
user or a client is deleted, and every change (a new passkey, a spent counter) is one `mfa_write`,
the compare-and-set TOTP uses. Credential ids are unique per user; two users holding the same id
cannot mix up, since a passkey is only ever looked for among one user's.
"""

import base64
import uuid
from dataclasses import dataclass

from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import bytes_to_base64url, options_to_json_dict, parse_authentication_credential_json, parse_client_data_json
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticationCredential,
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    CredentialDeviceType,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from accounts.errors import InvalidPasskey, PasskeysNotConfigured
from accounts.mfa_factors import PASSKEYS
from crypto.hmac_keys import hmac_digest
from tenants.models import AbstractTenantUser, Client

MAX_PASSKEYS = 10
MAX_NAME_LENGTH = 64
CHALLENGE_SECONDS = 300
# User verification (a PIN, a fingerprint) is asked for where the authenticator can, not required:
# a passkey proves possession of a device bound to this site, which is what a second factor adds;
# requiring it would refuse security keys without a PIN. Whether it happened is recorded.
USER_VERIFICATION = UserVerificationRequirement.PREFERRED
FAKE_ID_SALT = "authsvc.accounts.passkey_unknown_email"
FAKE_ID_BYTES = 16
TRANSPORTS = frozenset(transport.value for transport in AuthenticatorTransport)


# --- the stored passkeys --------------------------------------------------------------------


def passkeys_of(mfa: dict) -> list[dict]:
    return list(mfa.get(PASSKEYS) or [])


def passkey_with(mfa: dict, *, credential_id: str | None = None, passkey_id: str | None = None) -> dict | None:
    for passkey in passkeys_of(mfa):
        if (credential_id is not None and passkey["credential_id"] == credential_id) or passkey["passkey_id"] == passkey_id:
            return passkey
    return None


def passkey_shown(passkey: dict) -> dict:
    """What the API and the admin show of a passkey: its id, name and dates, never its key or credential id."""
    return {name: passkey.get(name) for name in ("passkey_id", "name", "created_at", "last_used_at")}


# --- the relying party ----------------------------------------------------------------------


@dataclass(frozen=True)
class RelyingParty:
    rp_id: str
    origins: tuple[str, ...]
    name: str


def relying_party(client: Client) -> RelyingParty:
    """The client's relying party (its `passkey_rp_id` and `passkey_origins`); 409 without an rp id."""
    if not client.passkey_rp_id:
        raise PasskeysNotConfigured()
    origins = tuple(client.passkey_origins or ()) or (f"https://{client.passkey_rp_id}",)
    return RelyingParty(rp_id=client.passkey_rp_id, origins=origins, name=client.client_name)


# --- challenges -----------------------------------------------------------------------------


def challenge_for(challenge_id: uuid.UUID, random: bytes) -> bytes:
    """The bytes an authenticator signs: the row's id first, so a credential names its row."""
    return challenge_id.bytes + random


def challenge_id_signed(credential: object) -> uuid.UUID | None:
    """The challenge row a credential answers, read from its clientDataJSON (unchecked: the
    verification compares the whole challenge with the row's)."""
    try:
        client_data = credential["response"]["clientDataJSON"]
        challenge = parse_client_data_json(b64url_bytes(client_data)).challenge
    except (KeyError, TypeError, ValueError, WebAuthnException):
        return None
    return uuid.UUID(bytes=challenge[:16]) if len(challenge) > 16 else None


def b64url_bytes(text: str) -> bytes:
    if not isinstance(text, str):
        raise ValueError("not base64url text")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# --- options --------------------------------------------------------------------------------


def _descriptor(passkey: dict, *, with_transports: bool) -> PublicKeyCredentialDescriptor:
    transports = [AuthenticatorTransport(name) for name in passkey.get("transports") or []] if with_transports else None
    return PublicKeyCredentialDescriptor(id=b64url_bytes(passkey["credential_id"]), transports=transports)


def creation_options(rp: RelyingParty, user: AbstractTenantUser, challenge: bytes) -> dict:
    """What `navigator.credentials.create({publicKey})` takes (as JSON), for a new passkey of `user`."""
    options = generate_registration_options(
        rp_id=rp.rp_id,
        rp_name=rp.name,
        user_id=user.user_id.bytes,  # the user handle: a passwordless login finds the user by it
        user_name=user.email,
        user_display_name=user.email,
        challenge=challenge,
        timeout=CHALLENGE_SECONDS * 1000,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED, user_verification=USER_VERIFICATION
        ),
        exclude_credentials=[_descriptor(passkey, with_transports=True) for passkey in passkeys_of(user.mfa or {})],
    )
    return options_to_json_dict(options)


def request_options(rp: RelyingParty, challenge: bytes, allowed: list[PublicKeyCredentialDescriptor] | None) -> dict:
    """What `navigator.credentials.get({publicKey})` takes (as JSON); no allowed list: discoverable passkeys."""
    options = generate_authentication_options(
        rp_id=rp.rp_id, challenge=challenge, timeout=CHALLENGE_SECONDS * 1000, allow_credentials=allowed,
        user_verification=USER_VERIFICATION,
    )
    return options_to_json_dict(options)


def allowed_of(user: AbstractTenantUser) -> list[PublicKeyCredentialDescriptor]:
    # Transports left out, so that a made-up list (below) looks like a real one.
    return [_descriptor(passkey, with_transports=False) for passkey in passkeys_of(user.mfa or {})]


def allowed_made_up(client: Client, email: str) -> list[PublicKeyCredentialDescriptor]:
    """For an email without passkeys (or without a user): one credential id that no authenticator has,
    the same on every call for that email, so the options do not tell that it has no account."""
    digest = hmac_digest(FAKE_ID_SALT, f"{client.client_id}:{email}")
    return [PublicKeyCredentialDescriptor(id=bytes.fromhex(digest)[:FAKE_ID_BYTES])]


# --- verification ---------------------------------------------------------------------------


def registration_verify(rp: RelyingParty, credential: dict, challenge: bytes, *, name: str, now: str) -> dict:
    """The passkey to store from a credential of `navigator.credentials.create`; InvalidPasskey if refused."""
    try:
        verified = verify_registration_response(
            credential=credential, expected_challenge=challenge, expected_rp_id=rp.rp_id, expected_origin=list(rp.origins),
            require_user_verification=False,
        )
    except (WebAuthnException, ValueError, TypeError) as error:
        raise InvalidPasskey(problem="verification") from error
    response = credential.get("response") or {}
    transports = [value for value in response.get("transports") or [] if value in TRANSPORTS]
    return {
        "passkey_id": str(uuid.uuid4()),
        "name": name,
        "credential_id": bytes_to_base64url(verified.credential_id),
        "public_key": bytes_to_base64url(verified.credential_public_key),
        "sign_count": verified.sign_count,
        "transports": transports[:8],
        "aaguid": verified.aaguid,
        "backed_up": verified.credential_backed_up,
        "multi_device": verified.credential_device_type == CredentialDeviceType.MULTI_DEVICE,
        "user_verified": verified.user_verified,
        "created_at": now,
        "last_used_at": None,
    }


def assertion_parse(credential: object) -> AuthenticationCredential:
    """A credential of `navigator.credentials.get`, parsed (nothing checked yet); InvalidPasskey if malformed."""
    if not isinstance(credential, dict):
        raise InvalidPasskey(problem="malformed")
    try:
        parsed = parse_authentication_credential_json(credential)
    except (WebAuthnException, ValueError, TypeError) as error:  # a base64 error is a ValueError
        raise InvalidPasskey(problem="malformed") from error
    if parsed.id != bytes_to_base64url(parsed.raw_id):
        raise InvalidPasskey(problem="malformed")
    return parsed


def user_id_of_handle(parsed: AuthenticationCredential) -> uuid.UUID | None:
    handle = parsed.response.user_handle
    return uuid.UUID(bytes=handle) if handle is not None and len(handle) == 16 else None


@dataclass(frozen=True)
class Assertion:
    passkey_id: str
    sign_count: int
    stored_sign_count: int
    user_verified: bool
    backed_up: bool

    @property
    def counter_went_back(self) -> bool:
        """A signature counter that did not go up (0 and 0 is an authenticator that keeps none): a sign
        that the passkey's key was copied to a second authenticator."""
        return bool(self.sign_count or self.stored_sign_count) and self.sign_count <= self.stored_sign_count


def assertion_verify(rp: RelyingParty, parsed: AuthenticationCredential, challenge: bytes, passkey: dict, *, user_id) -> Assertion:
    """Check a parsed assertion of `passkey` against the challenge and the relying party; InvalidPasskey if refused.

    The library's own counter check is left out (a current count of 0), so that a counter that went
    back is told apart from a bad signature: the caller refuses it (`counter_went_back`), and only
    after the signature was found right does it mean a copied authenticator rather than noise."""
    try:
        verified = verify_authentication_response(
            credential=parsed, expected_challenge=challenge, expected_rp_id=rp.rp_id, expected_origin=list(rp.origins),
            credential_public_key=b64url_bytes(passkey["public_key"]), credential_current_sign_count=0,
            require_user_verification=False,
        )
    except (WebAuthnException, ValueError, TypeError) as error:
        raise InvalidPasskey(problem="verification", user_id=user_id) from error
    return Assertion(
        passkey_id=passkey["passkey_id"], sign_count=verified.new_sign_count, stored_sign_count=passkey.get("sign_count") or 0,
        user_verified=verified.user_verified, backed_up=verified.credential_backed_up,
    )
