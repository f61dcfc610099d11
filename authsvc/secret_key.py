"""The secret key: DJANGO_SECRET_KEY, else one generated once into AUTHSVC_VAR_DIR.

Every process of one installation must use the same key (it keys the HMACs of access keys
and refresh tokens), so the generated key is written once and read by every later process.
Production sets DJANGO_SECRET_KEY so that every machine shares it.
"""

import os
import secrets
import tempfile
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

FILE_NAME = "secret_key"
INSECURE_PREFIX = "django-insecure"


def is_weak(key: str) -> bool:
    """Django's own rule for a guessable key (security.W009)."""
    return len(key) < 50 or len(set(key)) < 5 or key.startswith(INSECURE_PREFIX)


def key_file(var_dir: Path) -> Path:
    return Path(var_dir) / FILE_NAME


def embedded_secret_key(var_dir: Path) -> str:
    """The key in `var_dir`, created (mode 0600) by whichever process gets there first."""
    path = key_file(var_dir)
    if not path.exists():
        _create(path)
    key = path.read_text().strip()
    if is_weak(key):
        raise ImproperlyConfigured(f"{path} holds a weak secret key: delete it to generate a new one.")
    return key


def _create(path: Path) -> None:
    """Write a full file under a temporary name, then link it into place: the link fails if
    another process won the race, and no reader ever sees a half-written key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".secret_key.")  # O_EXCL, mode 0600
    try:
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_urlsafe(48) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.link(temporary, path)
    except FileExistsError:
        pass  # another process created it first; everyone reads that one
    finally:
        os.unlink(temporary)
