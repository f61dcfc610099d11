"""The RS256 keyring that signs tokens and feeds the JWKS document.

Keys live in one PEM file, newest first. A key may carry a line `signs-from: <ISO 8601 time>`
above its BEGIN line (explanatory text, which PEM readers such as OpenSSL skip): it is
published in the JWKS at once but signs only from that time. At any moment the first key of
the file whose time has come (or that has none) signs; newer keys are staged, older ones
retired: they still verify, so tokens they signed stay valid until they expire.

Why staging: the JWKS is served with a max-age, and a verifier that caches it (and does not
refetch on an unknown `kid`) would reject every token of a key it has not seen. A key that
signs only one cache lifetime after it was published is in every such cache before its first
token is.

The file is AUTHSVC_JWT_PRIVATE_KEY_FILE, else `var/jwt_signing_keys.pem`, generated on first
use (mode 0600) with a warning. The parsed keyring is cached and reloaded only when the file
changes (one `stat` per use); a staged key starts signing in every process at its time,
without a reload.
"""

import base64
import hashlib
import json
import logging
import os
import re
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.utils import timezone
from jwt.algorithms import RSAAlgorithm

logger = logging.getLogger("authsvc.keys")

KEY_SIZE = 2048
PEM_BEGIN = b"-----BEGIN "
PEM_END = b"-----END PRIVATE KEY-----"
SIGNS_FROM = re.compile(rb"^\s*signs-from:\s*(\S+)\s*$", re.IGNORECASE | re.MULTILINE)
# Clocks of instances and verifiers differ a little: staging and retirement allow this much more.
CLOCK_MARGIN = timedelta(seconds=60)


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: rsa.RSAPrivateKey
    # None: signs as soon as it is the first key of the file (files written before staging).
    signs_from: datetime | None = None

    @classmethod
    def of(cls, private_key: rsa.RSAPrivateKey, *, signs_from: datetime | None = None) -> "SigningKey":
        return cls(kid=thumbprint(private_key.public_key()), private_key=private_key, signs_from=signs_from)

    @property
    def public_key(self) -> rsa.RSAPublicKey:
        return self.private_key.public_key()

    def public_jwk(self) -> dict:
        jwk = json.loads(RSAAlgorithm.to_jwk(self.public_key))
        return {**jwk, "kid": self.kid, "use": "sig", "alg": "RS256"}

    def may_sign_at(self, moment: datetime) -> bool:
        return self.signs_from is None or self.signs_from <= moment


@dataclass(frozen=True)
class KeyStatus:
    key: SigningKey
    state: str  # "staged", "signing" or "retired"
    # When a retired key stopped signing; None if that was before the file recorded times.
    retired_at: datetime | None = None

    def tokens_expired_by(self) -> datetime | None:
        """When every token a retired key signed has expired; None if not known (or not retired)."""
        if self.retired_at is None:
            return None
        return self.retired_at + access_token_lifetime() + CLOCK_MARGIN

    def may_have_live_tokens(self, moment: datetime) -> bool:
        """Whether a token this key signed may still be unexpired at `moment`."""
        if self.state != "retired":
            return True
        expired_by = self.tokens_expired_by()
        return expired_by is not None and moment < expired_by


@dataclass(frozen=True)
class Keyring:
    keys: tuple[SigningKey, ...]

    def signer_index(self, moment: datetime) -> int:
        for index, key in enumerate(self.keys):
            if key.may_sign_at(moment):
                return index
        # Every key is staged (a file written so by hand): the oldest signs rather than none.
        return len(self.keys) - 1

    @property
    def current(self) -> SigningKey:
        """The key that signs now."""
        return self.keys[self.signer_index(timezone.now())]

    def find(self, kid: str | None) -> SigningKey | None:
        return next((key for key in self.keys if key.kid == kid), None)

    def jwks(self) -> dict:
        return {"keys": [key.public_jwk() for key in self.keys]}

    def statuses(self, moment: datetime) -> list[KeyStatus]:
        """Each key's state at `moment`; a retired key stopped signing when the first newer key could."""
        signer = self.signer_index(moment)
        statuses = []
        for index, key in enumerate(self.keys):
            if index < signer:
                statuses.append(KeyStatus(key, "staged"))
            elif index == signer:
                statuses.append(KeyStatus(key, "signing"))
            else:
                newer = [newer_key.signs_from for newer_key in self.keys[:index]]
                retired_at = None if None in newer else min(newer)
                statuses.append(KeyStatus(key, "retired", retired_at))
        return statuses


def access_token_lifetime() -> timedelta:
    return timedelta(minutes=settings.AUTHSVC_ACCESS_TOKEN_MINUTES)


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


def _pem(key: SigningKey) -> bytes:
    header = f"kid: {key.kid}\n"
    if key.signs_from is not None:
        header += f"signs-from: {key.signs_from.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}\n"
    return header.encode() + key.private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _split_pem_blocks(data: bytes) -> list[bytes]:
    blocks = []
    for chunk in data.split(PEM_END):
        if chunk.strip():
            blocks.append(chunk.strip() + b"\n" + PEM_END + b"\n")
    return blocks


def _signs_from(block: bytes) -> datetime | None:
    match = SIGNS_FROM.search(block.partition(PEM_BEGIN)[0])
    if match is None:
        return None
    text = match[1].decode("ascii", "replace")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"signs-from: {text!r} is not an ISO 8601 time such as 2030-01-31T12:00:00Z.") from None
    if moment.tzinfo is None:
        raise ValueError(f"signs-from: {text!r} names no time zone; end it with Z for UTC.")
    return moment


def parse_keyring(data: bytes) -> Keyring:
    keys = []
    for block in _split_pem_blocks(data):
        private_key = serialization.load_pem_private_key(block, password=None)
        if not isinstance(private_key, rsa.RSAPrivateKey):
            raise ValueError("Only RSA private keys can sign RS256 tokens.")
        keys.append(SigningKey.of(private_key, signs_from=_signs_from(block)))
    if not keys:
        raise ValueError("The key file holds no private key.")
    return Keyring(keys=tuple(keys))


def write_keyring(path: Path, keys: list[SigningKey]) -> None:
    """Write atomically with mode 0600, so a reader never sees half a file or a readable key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(b"".join(_pem(key) for key in keys))
    os.replace(temporary, path)


@dataclass(frozen=True)
class Rotation:
    keyring: Keyring
    new_key: SigningKey
    dropped: tuple[SigningKey, ...]


def rotated(ring: Keyring, *, moment: datetime, keep: int, at_once: bool) -> Rotation:
    """`ring` with a new key in front, staged for AUTHSVC_JWT_KEY_STAGE_SECONDS unless `at_once`.

    Of the keys that no longer sign, the newest `keep` stay, and so does any whose tokens may
    still be live, unless `at_once` (after a leak, `keep` alone decides: 0 drops every other key).
    """
    delay = timedelta(0) if at_once else timedelta(seconds=settings.AUTHSVC_JWT_KEY_STAGE_SECONDS)
    new_key = SigningKey.of(generate_private_key(), signs_from=moment + delay)
    candidate = Keyring(keys=(new_key, *ring.keys))
    kept, dropped, retired_kept = [], [], 0
    for status in candidate.statuses(moment):  # newest first
        if status.state != "retired":
            kept.append(status.key)
        elif retired_kept < keep or (not at_once and status.may_have_live_tokens(moment)):
            kept.append(status.key)
            retired_kept += 1
        else:
            dropped.append(status.key)
    return Rotation(Keyring(keys=tuple(kept)), new_key, tuple(dropped))


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
        write_keyring(path, [SigningKey.of(generate_private_key())])

    def rotate(self, *, keep: int, at_once: bool = False) -> Rotation:
        """Stage a new key in front (see `rotated`) and write the file."""
        rotation = rotated(self.get(), moment=timezone.now(), keep=keep, at_once=at_once)
        write_keyring(key_file_path(), list(rotation.keyring.keys))
        with self._lock:
            self._cached = None
        return rotation


keyring_loader = KeyringLoader()


def keyring() -> Keyring:
    return keyring_loader.get()
