"""Access key format, generation and hashing.

A key reads `ak_<key_id>.<secret>`: `key_id` (16 hex) is public and finds the row;
`secret` (256 random bits) is stored only as an HMAC (crypto/hmac_keys.py: AUTHSVC_HMAC_KEY,
else SECRET_KEY), so a copy of the database alone cannot be used to check guesses. A fast MAC, not bcrypt, is right
here: the secret is random, not a human password, and every API call verifies it.
"""

import re
import secrets
from dataclasses import dataclass

from crypto.hmac_keys import hmac_digest, hmac_matches

KEY_PATTERN = re.compile(r"^ak_(?P<key_id>[0-9a-f]{16})\.(?P<secret>[A-Za-z0-9_-]{43})$")
HMAC_SALT = "authsvc.tenants.access_key"


@dataclass(frozen=True)
class IssuedKey:
    key_id: str
    secret_hash: str
    plaintext: str


def hash_secret(secret: str) -> str:
    return hmac_digest(HMAC_SALT, secret)


def generate_access_key() -> IssuedKey:
    key_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    return IssuedKey(key_id=key_id, secret_hash=hash_secret(secret), plaintext=f"ak_{key_id}.{secret}")


def parse_access_key(raw: str) -> tuple[str, str] | None:
    """(key_id, secret) of a well-formed key, else None; nothing unvalidated reaches a query."""
    match = KEY_PATTERN.match(raw)
    if match is None:
        return None
    return match["key_id"], match["secret"]


def secret_matches(secret: str, secret_hash: str) -> bool:
    return hmac_matches(HMAC_SALT, secret, secret_hash)
