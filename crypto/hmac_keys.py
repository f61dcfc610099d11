"""The keys of the service's own HMACs: access-key secrets, refresh-token hashes, email-token fingerprints,
and the secrets of rotated refresh tokens, derived from the token they replace.

New digests use the current key, AUTHSVC_HMAC_KEY. A digest verifies under the current key or
any fallback, so that a key can be replaced without breaking what the old one made:
AUTHSVC_HMAC_KEY_FALLBACKS, then SECRET_KEY and SECRET_KEY_FALLBACKS. Digests stored before
dedicated keys existed were made with SECRET_KEY, so it stays the current key while
AUTHSVC_HMAC_KEY is unset, and is always accepted: moving to a dedicated key breaks nothing.

Settings are read on every call, never copied at import.
"""

import base64

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac

ALGORITHM = "sha256"


def current_key() -> str:
    return settings.AUTHSVC_HMAC_KEY or settings.SECRET_KEY


def verification_keys() -> list[str]:
    """The current key first (the usual match), then every fallback, each once."""
    keys = [
        current_key(),
        *settings.AUTHSVC_HMAC_KEY_FALLBACKS,
        settings.SECRET_KEY,
        *settings.SECRET_KEY_FALLBACKS,
    ]
    return list(dict.fromkeys(key for key in keys if key))


def _digest(salt: str, value: str, key: str, length: int | None) -> str:
    return salted_hmac(salt, value, secret=key, algorithm=ALGORITHM).hexdigest()[:length]


def hmac_digest(salt: str, value: str, *, length: int | None = None) -> str:
    """Hex HMAC-SHA256 of `value` under the current key (its first `length` characters if given)."""
    return _digest(salt, value, current_key(), length)


def hmac_matches(salt: str, value: str, digest: str, *, length: int | None = None) -> bool:
    """Whether `digest` is hmac_digest(salt, value, length=length) under the current key or a fallback."""
    if not isinstance(digest, str) or not digest:
        return False
    return any(constant_time_compare(_digest(salt, value, key, length), digest) for key in verification_keys())


def hmac_secret(salt: str, value: str, *, key: str) -> str:
    """A 256-bit secret derived from `value` under `key`: the whole HMAC-SHA256, URL-safe base64 without padding.

    The same `value` and key give the same secret again, so a secret handed out once can be recomputed
    by whoever presents `value` (one of verification_keys()), and is never stored.
    """
    digest = salted_hmac(salt, value, secret=key, algorithm=ALGORITHM).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
