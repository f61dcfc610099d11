"""The RS256 keyring that signs tokens and feeds the JWKS document.

Keys live in one PEM file, newest first: the first key signs, the others still verify,
so tokens signed before a rotation stay valid until they expire. The file is
AUTHSVC_JWT_PRIVATE_KEY_FILE, else `var/jwt_signing_keys.pem`, generated on first use
(mode 0600) with a warning. The parsed keyring is cached and reloaded only when the
file changes, so a rotation reaches every process without per-request key parsing.
"""

import base64
import hashlib
import json
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from jwt.algorithms import RSAAlgorithm

logger = logging.getLogger("authsvc.keys")

KEY_SIZE = 2048
PEM_END = b"-----END PRIVATE KEY-----"


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: rsa.RSAPrivateKey

    @property
    def public_key(self) -> rsa.RSAPublicKey:
        return self.private_key.public_key()

    def public_jwk(self) -> dict:
        jwk = json.loads(RSAAlgorithm.to_jwk(self.public_key))
        return {**jwk, "kid": self.kid, "use": "sig", "alg": "RS256"}


@dataclass(frozen=True)
class Keyring:
    keys: tuple[SigningKey, ...]

    @property
    def current(self) -> SigningKey:
        return self.keys[0]

    def find(self, kid: str | None) -> SigningKey | None:
        return next((key for key in self.keys if key.kid == kid), None)

    def jwks(self) -> dict:
        return {"keys": [key.public_jwk() for key in self.keys]}


def thumbprint(public_key: rsa.RSAPublicKey) -> str:
    """RFC 7638 JWK thumbprint: a stable `kid` derived from the key itself."""
    jwk = json.loads(RSAAlgorithm.to_jwk(public_key))
    canonical = json.dumps({"e": jwk["e"], "kty": "RSA", "n": jwk["n"]}, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()


def key_file_path() -> Path:
    configured = settings.AUTHSVC_JWT_PRIVATE_KEY_FILE
    return Path(configured) if configured else settings.VAR_DIR / "jwt_signing_keys.pem"


def generate_private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE)


def _pem(private_key: rsa.RSAPrivateKey) -> bytes:
    return private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _split_pem_blocks(data: bytes) -> list[bytes]:
    blocks = []
    for chunk in data.split(PEM_END):
        if chunk.strip():
            blocks.append(chunk.strip() + b"\n" + PEM_END + b"\n")
    return blocks


def parse_keyring(data: bytes) -> Keyring:
    keys = []
    for block in _split_pem_blocks(data):
        private_key = serialization.load_pem_private_key(block, password=None)
        if not isinstance(private_key, rsa.RSAPrivateKey):
            raise ValueError("Only RSA private keys can sign RS256 tokens.")
        keys.append(SigningKey(kid=thumbprint(private_key.public_key()), private_key=private_key))
    if not keys:
        raise ValueError("The key file holds no private key.")
    return Keyring(keys=tuple(keys))


def write_keyring(path: Path, private_keys: list[rsa.RSAPrivateKey]) -> None:
    """Write atomically with mode 0600, so a reader never sees half a file or a readable key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(b"".join(_pem(key) for key in private_keys))
    os.replace(temporary, path)


class KeyringLoader:
    def __init__(self):
        self._lock = threading.Lock()
        self._cached: tuple[tuple[str, int, int], Keyring] | None = None

    def get(self) -> Keyring:
        path = key_file_path()
        with self._lock:
            try:
                status = path.stat()
            except FileNotFoundError:
                self._create(path)
                status = path.stat()
            # The inode too: every write replaces the file, and a coarse mtime (one second on
            # some file systems) could otherwise hide a rotation made in the same tick.
            stamp = (str(path), status.st_mtime_ns, status.st_ino)
            if self._cached is None or self._cached[0] != stamp:
                self._cached = (stamp, parse_keyring(path.read_bytes()))
            return self._cached[1]

    def _create(self, path: Path) -> None:
        if settings.AUTHSVC_JWT_PRIVATE_KEY_FILE:
            raise FileNotFoundError(f"AUTHSVC_JWT_PRIVATE_KEY_FILE points at {path}, which does not exist.")
        logger.warning(
            "No AUTHSVC_JWT_PRIVATE_KEY_FILE: generated a signing key into %s. "
            "Set the variable in production so every instance signs with the same key.",
            path,
        )
        write_keyring(path, [generate_private_key()])

    def rotate(self, *, keep: int) -> Keyring:
        """Put a new key first; keep at most `keep` older keys for verification."""
        current = self.get()
        path = key_file_path()
        private_keys = [generate_private_key(), *(key.private_key for key in current.keys[:keep])]
        write_keyring(path, private_keys)
        with self._lock:
            self._cached = None
        return self.get()


keyring_loader = KeyringLoader()


def keyring() -> Keyring:
    return keyring_loader.get()
