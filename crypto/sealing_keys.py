"""The sealing keys as settings.py reads them (crypto.sealed uses them): checked at start-up, and
the development key derived from SECRET_KEY. No Django settings here: settings.py imports it."""

import base64

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

# Names the purpose, so that no other key derived from SECRET_KEY can equal this one.
DERIVATION_INFO = b"authsvc sealing key v1"
GENERATE_HINT = "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"


def key_from_secret(secret: str) -> str:
    """A Fernet key derived from `secret` (HKDF-SHA256): development's key, when none is configured."""
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=DERIVATION_INFO).derive(secret.encode())
    return base64.urlsafe_b64encode(derived).decode("ascii")


def keys_problem(keys: list[str]) -> str | None:
    """What is wrong with a configured key list (never a key itself), or None."""
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            return f"key {position} of {len(keys)} is not a Fernet key (32 bytes, URL-safe base64); generate one with {GENERATE_HINT}"
    return None
