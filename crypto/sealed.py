"""Secrets at rest: values we must read back (a client's SMTP credentials, TOTP secrets), stored
as Fernet tokens (AES-128-CBC and HMAC-SHA256, from `cryptography`) under keys from the environment.

AUTHSVC_SEALING_KEYS is a list so that keys rotate (MultiFernet): the first key seals, every key
unseals. To rotate, put a new key first and keep the old ones after it, restart, run
`manage.py reseal_secrets` (each value sealed again under the first key: `reseal`), then drop
the old keys. Unset with DEBUG on, the key is derived from SECRET_KEY (authsvc/settings.py), so
`make run` needs nothing; unset with DEBUG off, `seal` and `unseal` raise SealingUnavailable
(a 503 at the API that tells the operator what to set) and only what needs sealing fails.

Settings are read on every call, never copied at import, like crypto.hmac_keys.
"""

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

from crypto.errors import SealedSecretUnreadable, SealingUnavailable


def seal(plaintext: str) -> str:
    """`plaintext` sealed under the first key: a URL-safe ASCII token, different at every call."""
    if not isinstance(plaintext, str):
        raise TypeError("seal() takes text")
    return _keyring().encrypt(plaintext.encode()).decode("ascii")


def unseal(token: str) -> str:
    """The text `token` was sealed from, under any listed key; SealedSecretUnreadable if none opens it."""
    keyring = _keyring()
    try:
        return keyring.decrypt(_token_bytes(token)).decode()
    except (InvalidToken, UnicodeDecodeError):
        raise SealedSecretUnreadable() from None


def reseal(token: str) -> str:
    """`token` sealed again under the first key (the rotation step); SealedSecretUnreadable if no key opens it."""
    keyring = _keyring()
    try:
        return keyring.rotate(_token_bytes(token)).decode("ascii")
    except InvalidToken:
        raise SealedSecretUnreadable() from None


def _token_bytes(token: str) -> bytes:
    if not isinstance(token, str) or not token.isascii():
        raise SealedSecretUnreadable()
    return token.encode("ascii")


def _keyring() -> MultiFernet:
    keys = tuple(settings.AUTHSVC_SEALING_KEYS)
    if not keys:
        raise SealingUnavailable()
    return _multi_fernet(keys)


@lru_cache(maxsize=4)
def _multi_fernet(keys: tuple[str, ...]) -> MultiFernet:
    # settings.py refused malformed keys at start-up; a test's override is the only other source.
    return MultiFernet([Fernet(key) for key in keys])
