"""Recovery codes: ten single-use codes a user keeps for when the authenticator is lost.

Each code is 10 characters of a 31-character alphabet without look-alikes (0/o, 1/l/i), about 50
bits, shown as `xxxxx-xxxxx`; case, spaces and hyphens do not matter when one is typed.

Stored as salted HMAC-SHA256 digests (crypto/hmac_keys.py), the salt naming the client and the
user, not as bcrypt hashes: bcrypt is for passwords people choose, whose few bits it must make
slow to guess. A random 50-bit code cannot be guessed offline even at HMAC speed, and without the
HMAC key (AUTHSVC_HMAC_KEY, never in the database) a copy of the table is of no use at all; a
login with a recovery code then costs ten HMACs, not ten bcrypt checks (seconds at 12 rounds).
"""

import secrets
import uuid

from crypto.hmac_keys import hmac_digest, hmac_matches

COUNT = 10
LENGTH = 10
ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
SALT = "authsvc.accounts.recovery_code"


def recovery_codes_new() -> list[str]:
    codes = ("".join(secrets.choice(ALPHABET) for _ in range(LENGTH)) for _ in range(COUNT))
    return [f"{code[:5]}-{code[5:]}" for code in codes]


def recovery_code_normal(code: str) -> str | None:
    """The code as stored (lower case, no separators), or None when it cannot be one."""
    if not isinstance(code, str) or len(code) > 4 * LENGTH:
        return None
    normal = "".join(code.split()).replace("-", "").lower()
    return normal if len(normal) == LENGTH and all(ch in ALPHABET for ch in normal) else None


def _salt(client_id: uuid.UUID, user_id: uuid.UUID) -> str:
    return f"{SALT}:{client_id}:{user_id}"


def recovery_code_digest(code: str, *, client_id: uuid.UUID, user_id: uuid.UUID) -> str:
    return hmac_digest(_salt(client_id, user_id), recovery_code_normal(code))


def recovery_code_match(code: str, digests: list[str], *, client_id: uuid.UUID, user_id: uuid.UUID) -> str | None:
    """The stored digest `code` matches (under the current HMAC key or a fallback), or None."""
    normal = recovery_code_normal(code)
    if normal is None:
        return None
    salt = _salt(client_id, user_id)
    return next((digest for digest in digests if hmac_matches(salt, normal, digest)), None)
