"""A software WebAuthn authenticator with the browser's part: what `navigator.credentials.create()` and
`.get()` would answer, as `credential.toJSON()`, for the options JSON our API gives.

A real authenticator, not a stand-in of our code: each credential is a P-256 key made here (the
`cryptography` package); registration answers a 'none' attestation object (CBOR, `cbor2`) whose
authenticator data holds the rp id hash, the flags, the signature counter and the COSE public key;
an assertion signs authenticator data + SHA-256(clientDataJSON) with the key. The page's origin,
which a browser writes into clientDataJSON, is the test's to choose (a wrong one is the point of some
tests), and so is the rp id it hashes.

soft-webauthn (PyPI) does this too, but it needs fido2 < 2, which needs a cryptography older than
the `webauthn` library accepts, so the two cannot be installed together.
"""

import base64
import hashlib
import json
import os
import struct
from dataclasses import dataclass

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

USER_PRESENT, USER_VERIFIED, ATTESTED_DATA = 0x01, 0x04, 0x40
NO_AAGUID = bytes(16)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def from_b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Credential:
    credential_id: bytes
    private_key: ec.EllipticCurvePrivateKey
    rp_id: str
    user_handle: bytes
    sign_count: int


class SoftAuthenticator:
    """Holds credentials (discoverable: each keeps its user handle). `counts` False: an authenticator that
    keeps no signature counter (always 0, as many synced passkeys do)."""

    def __init__(self, *, counts: bool = True, verifies_user: bool = True):
        self.counts = counts
        self.verifies_user = verifies_user
        self.credentials: dict[bytes, Credential] = {}

    def _flags(self) -> int:
        return USER_PRESENT | (USER_VERIFIED if self.verifies_user else 0)

    def create(self, options: dict, *, origin: str, rp_id: str | None = None, credential_id: bytes | None = None) -> dict:
        """A new credential for the creation options (`rp_id` overrides the options' own: a wrong one; `credential_id`
        reuses an id, as only a broken or hostile authenticator would)."""
        rp_id = rp_id or options["rp"]["id"]
        key = ec.generate_private_key(ec.SECP256R1())
        credential = Credential(credential_id or os.urandom(32), key, rp_id, from_b64url(options["user"]["id"]), 0)
        self.credentials[credential.credential_id] = credential
        numbers = key.public_key().public_numbers()
        cose_key = cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})
        attested = NO_AAGUID + struct.pack(">H", len(credential.credential_id)) + credential.credential_id + cose_key
        auth_data = self._auth_data(rp_id, self._flags() | ATTESTED_DATA, 0) + attested
        client_data = self._client_data("webauthn.create", options["challenge"], origin)
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        response = {"clientDataJSON": b64url(client_data), "attestationObject": b64url(attestation), "transports": ["internal"]}
        return self._credential_json(credential, response)

    def get(self, options: dict, *, origin: str, rp_id: str | None = None, credential: Credential | None = None) -> dict:
        """An assertion for the request options, by `credential` or the first one allowed (any for the rp id
        when the options allow any)."""
        rp_id = rp_id or options["rpId"]
        credential = credential or self.pick(options, rp_id)
        if self.counts:
            credential.sign_count += 1
        auth_data = self._auth_data(rp_id, self._flags(), credential.sign_count if self.counts else 0)
        client_data = self._client_data("webauthn.get", options["challenge"], origin)
        signature = credential.private_key.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        response = {
            "clientDataJSON": b64url(client_data), "authenticatorData": b64url(auth_data), "signature": b64url(signature),
            "userHandle": b64url(credential.user_handle),
        }
        return self._credential_json(credential, response)

    def pick(self, options: dict, rp_id: str) -> Credential:
        allowed = {from_b64url(entry["id"]) for entry in options.get("allowCredentials") or []}
        for credential in self.credentials.values():
            if credential.rp_id == rp_id and (not allowed or credential.credential_id in allowed):
                return credential
        raise LookupError("no credential of this authenticator answers these options")

    @property
    def only(self) -> Credential:
        (credential,) = self.credentials.values()
        return credential

    @staticmethod
    def _auth_data(rp_id: str, flags: int, sign_count: int) -> bytes:
        return hashlib.sha256(rp_id.encode()).digest() + bytes([flags]) + struct.pack(">I", sign_count)

    @staticmethod
    def _client_data(kind: str, challenge: str, origin: str) -> bytes:
        return json.dumps({"type": kind, "challenge": challenge, "origin": origin, "crossOrigin": False}).encode()

    @staticmethod
    def _credential_json(credential: Credential, response: dict) -> dict:
        encoded = b64url(credential.credential_id)
        return {
            "id": encoded, "rawId": encoded, "type": "public-key", "response": response,
            "clientExtensionResults": {}, "authenticatorAttachment": "platform",
        }
