"""Secrets the service must read back (TOTP secrets, a client's SMTP password): sealed with Fernet.

`seal` encrypts with the first key of AUTHSVC_SEALING_KEYS; `unseal` opens a value sealed under any
of them (MultiFernet), so a key is rotated by putting the new one first and keeping the old one
until every value is sealed again. A key derived from SECRET_KEY (HKDF-SHA256) is always the last
one: it is the only key while the variable is unset (the embedded default, and the test suite), and
values sealed under it stay readable after the operator sets dedicated keys.

Settings are read on every call (the MultiFernet is cached per key list), never copied at import.
"""

import base64
import logging
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

from core.errors import ServerError

logger = logging.getLogger("authsvc.crypto")

DERIVED_KEY_INFO = b"authsvc.crypto.sealed"


def derived_key(secret_key: str) -> bytes:
    """The Fernet key HKDF derives from SECRET_KEY (a key of its own, not SECRET_KEY itself)."""
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=DERIVED_KEY_INFO).derive(secret_key.encode())
    return base64.urlsafe_b64encode(raw)


@lru_cache(maxsize=4)
def _sealer(keys: tuple[str, ...], secret_key: str) -> MultiFernet:
    return MultiFernet([*(Fernet(key) for key in keys), Fernet(derived_key(secret_key))])


def _current() -> MultiFernet:
    return _sealer(tuple(settings.AUTHSVC_SEALING_KEYS), settings.SECRET_KEY)


def seal(plaintext: str) -> str:
    return _current().encrypt(plaintext.encode()).decode("ascii")


def unseal(token: str) -> str:
    """The plaintext of a sealed value; a value no configured key opens is a server error (logged)."""
    try:
        return _current().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, UnicodeError):
        logger.error("A sealed value could not be opened with AUTHSVC_SEALING_KEYS (was a key dropped too early?).")
        raise ServerError() from None
