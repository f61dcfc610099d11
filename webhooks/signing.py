"""Webhook secrets and signatures, as the Standard Webhooks specification defines them.

A secret is `whsec_` and the base64 of 32 random bytes; the signature of a message is
`v1,` and the base64 of HMAC-SHA256, keyed with those bytes, of `<id>.<timestamp>.<body>`.
During a rotation's overlap a message carries one signature per live secret, space-separated,
and a receiver accepts it when any of them verifies (the spec's rule, and its libraries').
Rows keep secrets sealed under AUTHSVC_SEALING_KEYS; `manage.py reseal_secrets` reseals them.
"""

import base64
import hashlib
import hmac
import secrets
from collections.abc import Iterable

from crypto.sealed import seal, unseal

PREFIX = "whsec_"
SECRET_BYTES = 32


def secret_generate() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def signature(secret: str, *, message_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix(PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def signature_header(secrets_in_use: Iterable[str], *, message_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` header: one `v1,` signature per secret, space-separated."""
    return " ".join(signature(secret, message_id=message_id, timestamp=timestamp, body=body) for secret in secrets_in_use)


def secret_stored(secret: str) -> str:
    """What a webhook's row keeps of `secret`: sealed (crypto.sealed), since signing needs it back in
    clear, so that a copy of the database alone does not sign."""
    return seal(secret)


def secret_usable(stored: str) -> str:
    """The secret a row keeps (secret_stored's inverse)."""
    return unseal(stored)
