"""Password hashes brought by an import: which forms are taken, and how each is stored.

Every hash is stored in Django's encoded form (`<algorithm>$…`) and checked at login by the Django
hasher of that algorithm (settings.PASSWORD_HASHERS); the first successful login replaces it by one
of ours (accounts.flows.passwords.password_matches). Nothing here hashes or compares a password.

Taken:
- bcrypt as other providers export it (Auth0, Okta, Supabase, PHP): `$2a$`, `$2b$`, `$2y$` (PHP's
  name for `$2b$`, stored as `$2b$`) → `bcrypt$<hash>`;
- Argon2 PHC strings (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`, also `$argon2i$`) → `argon2$argon2id$…`;
- Django's own forms, stored as they are: `pbkdf2_sha256$…` (Django's default), `argon2$…`,
  `bcrypt_sha256$…`, `bcrypt$…` and `scrypt$…`, so a Django project's `auth_user.password` and our
  own export (`manage.py export_users --include-hashes`) come in unchanged.

A hash whose cost is far above what any provider uses is refused: every login of its user would
cost that much of our CPU (or memory), and a client must not be able to order that. Firebase's
modified scrypt is not taken: no maintained Python library implements it (docs/api.md §11).
"""

import re
from dataclasses import dataclass

import argon2
from django.contrib.auth.hashers import get_hasher

# Bounds of the cost of one login with an imported hash (see the module's docstring).
MAX_BCRYPT_COST = 14
MAX_ARGON2_MEMORY_KIB = 128 * 1024
MAX_ARGON2_TIME_COST = 10
MAX_ARGON2_PARALLELISM = 16
MAX_PBKDF2_ITERATIONS = 2_000_000
# OpenSSL refuses scrypt above 32 MiB unless asked; Django's default takes 16 MiB (128·n·r bytes).
MAX_SCRYPT_MEMORY_BYTES = 16 * 1024 * 1024
MAX_SCRYPT_PARALLELISM = 16
MAX_HASH_LENGTH = 255  # the column's width

RAW_BCRYPT = re.compile(r"\$2([aby])\$(\d\d)\$([./A-Za-z0-9]{53})")
BASE64 = r"[A-Za-z0-9+/]"
PBKDF2_SHA256 = re.compile(rf"pbkdf2_sha256\$([1-9][0-9]{{0,8}})\$([A-Za-z0-9./+=_-]{{1,128}})\$({BASE64}{{43}}=)")
# RFC 9106's encoding as argon2-cffi and libsodium write it: version 19, unpadded base64 salt and hash.
ARGON2 = re.compile(rf"\$argon2(?:id|i)\$v=19\$m=[0-9]{{1,9}},t=[0-9]{{1,9}},p=[0-9]{{1,4}}\${BASE64}{{11,64}}\${BASE64}{{16,128}}")
SCRYPT = re.compile(rf"scrypt\$([1-9][0-9]{{0,9}})\$([A-Za-z0-9./+=_-]{{1,128}})\$([1-9][0-9]?)\$([1-9][0-9]?)\$({BASE64}{{86}}==)")


class HashRefused(ValueError):
    """The text is no hash this service can check; `reason` says why, for the import's report."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class StoredHash:
    encoded: str  # Django's form, as stored in `password_hash`
    format: str  # which form it came in: bcrypt, argon2, pbkdf2_sha256, bcrypt_sha256, scrypt


def stored_hash(password_hash: str) -> StoredHash:
    """The Django-encoded form of an imported hash; HashRefused for anything else."""
    if not isinstance(password_hash, str) or not password_hash:
        raise HashRefused("password_hash must be a non-empty string.")
    if len(password_hash) > MAX_HASH_LENGTH or not password_hash.isascii():
        raise HashRefused("password_hash is not a password hash of a known format.")
    if password_hash.startswith("$2"):
        return StoredHash(f"bcrypt${_raw_bcrypt(password_hash)}", "bcrypt")
    if password_hash.startswith("$argon2"):
        return StoredHash(_argon2(f"argon2{password_hash}"), "argon2")
    algorithm = password_hash.partition("$")[0]
    check = DJANGO_FORMS.get(algorithm)
    if check is None:
        raise HashRefused(
            "Unknown hash format: expected bcrypt ($2a$, $2b$, $2y$), Argon2 ($argon2id$) or Django's "
            "pbkdf2_sha256$, argon2$, bcrypt_sha256$, bcrypt$ or scrypt$."
        )
    return StoredHash(check(password_hash), "bcrypt" if algorithm == "bcrypt" else algorithm)


def _raw_bcrypt(text: str) -> str:
    match = RAW_BCRYPT.fullmatch(text)
    if match is None:
        raise HashRefused("Malformed bcrypt hash: expected $2a$, $2b$ or $2y$, a two-digit cost and 53 characters.")
    cost = int(match[2])
    if not 4 <= cost <= MAX_BCRYPT_COST:
        raise HashRefused(f"bcrypt cost {cost} is outside 4 to {MAX_BCRYPT_COST}.")
    # $2y$ is PHP's name for the same algorithm as $2b$.
    return text.replace("$2y$", "$2b$", 1)


def _django_bcrypt(encoded: str) -> str:
    return f"bcrypt${_raw_bcrypt(encoded.removeprefix('bcrypt$'))}"


def _bcrypt_sha256(encoded: str) -> str:
    raw = _raw_bcrypt(encoded.removeprefix("bcrypt_sha256$"))
    return f"bcrypt_sha256${raw}"


def _argon2(encoded: str) -> str:
    """`argon2$argon2id$…` (or argon2i), its parameters read by argon2-cffi and held to the bounds."""
    rest = encoded.removeprefix("argon2")
    if ARGON2.fullmatch(rest) is None:
        raise HashRefused("Malformed Argon2 hash: expected a PHC string such as $argon2id$v=19$m=…,t=…,p=…$salt$hash.")
    try:
        params = argon2.extract_parameters(rest)
        get_hasher("argon2").decode(encoded)  # what login will read: it must read it
    except ValueError:  # argon2-cffi's InvalidHashError is one
        raise HashRefused("Malformed Argon2 hash: its parameters or salt do not parse.") from None
    if (
        params.memory_cost > MAX_ARGON2_MEMORY_KIB
        or params.time_cost > MAX_ARGON2_TIME_COST
        or params.parallelism > MAX_ARGON2_PARALLELISM
    ):
        raise HashRefused(
            f"Argon2 cost above the bounds (m ≤ {MAX_ARGON2_MEMORY_KIB}, t ≤ {MAX_ARGON2_TIME_COST}, "
            f"p ≤ {MAX_ARGON2_PARALLELISM})."
        )
    return encoded


def _pbkdf2_sha256(encoded: str) -> str:
    match = PBKDF2_SHA256.fullmatch(encoded)
    if match is None:
        raise HashRefused("Malformed pbkdf2_sha256 hash: expected pbkdf2_sha256$<iterations>$<salt>$<base64 of 32 bytes>.")
    if int(match[1]) > MAX_PBKDF2_ITERATIONS:
        raise HashRefused(f"pbkdf2_sha256 iterations above {MAX_PBKDF2_ITERATIONS}.")
    return encoded


def _scrypt(encoded: str) -> str:
    match = SCRYPT.fullmatch(encoded)
    if match is None:
        raise HashRefused("Malformed scrypt hash: expected Django's scrypt$<n>$<salt>$<r>$<p>$<base64 of 64 bytes>.")
    n, r, p = int(match[1]), int(match[3]), int(match[4])
    if n < 2 or n & (n - 1) or 128 * n * r > MAX_SCRYPT_MEMORY_BYTES or p > MAX_SCRYPT_PARALLELISM:
        raise HashRefused(
            f"scrypt parameters refused: n a power of two, 128·n·r at most {MAX_SCRYPT_MEMORY_BYTES // 2**20} MiB, "
            f"p at most {MAX_SCRYPT_PARALLELISM}."
        )
    return encoded


DJANGO_FORMS = {
    "bcrypt": _django_bcrypt,
    "bcrypt_sha256": _bcrypt_sha256,
    "argon2": _argon2,
    "pbkdf2_sha256": _pbkdf2_sha256,
    "scrypt": _scrypt,
}
