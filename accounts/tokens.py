"""SimpleJWT token classes bound to one client: RS256, `kid` header, `aud` = client_id.

SimpleJWT's global token backend has one audience and one key; ours needs an audience
per client and a keyring for rotation, so each token gets a backend for its client.
A token minted for client A fails the audience check on client B.
"""

import base64
import binascii
import json
import uuid
from datetime import timedelta
from functools import cached_property

import jwt
from django.conf import settings
from rest_framework_simplejwt.backends import TokenBackend
from rest_framework_simplejwt.exceptions import TokenBackendError
from rest_framework_simplejwt.tokens import AccessToken, Token

from accounts.signing_keys import Keyring, keyring

ALGORITHM = "RS256"


class KeyringTokenBackend(TokenBackend):
    def __init__(self, ring: Keyring, audience: str):
        super().__init__(ALGORITHM, audience=audience, issuer=settings.AUTHSVC_ISSUER)
        self.ring = ring

    def encode(self, payload: dict) -> str:
        signing = self.ring.current
        claims = {**payload, "aud": self.audience, "iss": self.issuer}
        return jwt.encode(claims, signing.private_key, algorithm=ALGORITHM, headers={"kid": signing.kid})

    def get_verifying_key(self, token):
        key = self.ring.find(unverified_kid(token))
        if key is None:
            raise TokenBackendError("Token is signed by an unknown key")
        return key.public_key


def unverified_kid(token: str | bytes) -> str | None:
    """The `kid` of a token's header, to pick the key that then verifies the whole token.

    Only the header segment is decoded: PyJWT's get_unverified_header checks every character
    of the whole token, which the signature check then does again.
    """
    if isinstance(token, bytes):
        token = token.decode("latin-1")
    segment = token.split(".", 1)[0]
    try:
        header = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (binascii.Error, ValueError):
        raise TokenBackendError("Token is invalid") from None
    kid = header.get("kid") if isinstance(header, dict) else None
    return kid if isinstance(kid, str) else None


def backend_for(client_id: uuid.UUID) -> KeyringTokenBackend:
    return KeyringTokenBackend(keyring(), audience=str(client_id))


class ClientBoundMixin:
    """Gives a SimpleJWT token class a backend for the client it belongs to."""

    def __init__(self, token=None, verify: bool = True, *, client_id: uuid.UUID):
        self.client_id = client_id
        super().__init__(token, verify)

    @cached_property
    def _backend(self) -> KeyringTokenBackend:
        # SimpleJWT asks twice per decode (signature, then leeway); one keyring look is enough.
        return backend_for(self.client_id)

    def get_token_backend(self):
        return self._backend


class ClientAccessToken(ClientBoundMixin, AccessToken):
    @property
    def lifetime(self) -> timedelta:
        return timedelta(minutes=settings.AUTHSVC_ACCESS_TOKEN_MINUTES)


class ClientRefreshToken(ClientBoundMixin, Token):
    # Not SimpleJWT's RefreshToken: rotation and reuse detection live in our `tokens`
    # table, not in its blacklist app.
    token_type = "refresh"

    @property
    def lifetime(self) -> timedelta:
        return timedelta(days=settings.AUTHSVC_REFRESH_TOKEN_DAYS)
