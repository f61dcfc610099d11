"""The tokens a client's users hold: signed access tokens, opaque refresh tokens.

Access tokens are SimpleJWT tokens bound to one client: RS256, `kid` header, `aud` = client_id,
and header `typ: at+jwt` (RFC 9068), which no other token of ours carries. SimpleJWT's global
token backend has one audience and one key; ours needs an audience per client and a keyring for
rotation, so each token gets a backend for its client. A token minted for client A fails the
audience check on client B.

`iss` is the client's own issuer (`AUTHSVC_ISSUER/api/v1/<client_id>`, with a discovery document
there) or the service's (`AUTHSVC_ISSUER`), as the client's `token_issuer` says. Reading a token
accepts either of its client's two: a token minted before the client switched stays valid until its
`exp`, and `aud` pins the client whichever it is.

Refresh tokens are not JWTs, so no JWT verifier can take one for an access token: they are
`rt_<token_id>.<secret>`, and only the `tokens` table (an HMAC of the whole string) knows them.
Refresh tokens issued as JWTs before that are read by LegacyRefreshToken until they expire.
"""

import base64
import binascii
import json
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property

import jwt
from django.conf import settings
from rest_framework_simplejwt.backends import TokenBackend
from rest_framework_simplejwt.exceptions import TokenBackendError, TokenError
from rest_framework_simplejwt.tokens import AccessToken, Token

from accounts.signing_keys import Keyring, keyring
from tenants.models import Client, TokenIssuer

ALGORITHM = "RS256"
ACCESS_TOKEN_TYP = "at+jwt"


def service_issuer() -> str:
    return settings.AUTHSVC_ISSUER


def client_issuer(client_id: uuid.UUID | str) -> str:
    """A client's own issuer: where its discovery document is (`<issuer>/.well-known/openid-configuration`)."""
    return f"{settings.AUTHSVC_ISSUER.rstrip('/')}/api/v1/{client_id}"


def issuer_of(client: Client) -> str:
    """The `iss` the client's new access tokens carry."""
    return client_issuer(client.client_id) if client.token_issuer == TokenIssuer.CLIENT else service_issuer()


class KeyringTokenBackend(TokenBackend):
    def __init__(self, ring: Keyring, audience: str, *, typ: str | None = None, mint_issuer: str | None = None):
        # SimpleJWT hands `issuer` to PyJWT's check, which takes a collection: either of the client's two.
        super().__init__(ALGORITHM, audience=audience, issuer=(service_issuer(), client_issuer(audience)))
        self.ring = ring
        self.typ = typ
        self.mint_issuer = mint_issuer or service_issuer()

    def encode(self, payload: dict) -> str:
        signing = self.ring.current
        claims = {**payload, "aud": self.audience, "iss": self.mint_issuer}
        headers = {"kid": signing.kid, **({"typ": self.typ} if self.typ else {})}
        return jwt.encode(claims, signing.private_key, algorithm=ALGORITHM, headers=headers)

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


def backend_for(client_id: uuid.UUID, *, typ: str | None = None, mint_issuer: str | None = None) -> KeyringTokenBackend:
    return KeyringTokenBackend(keyring(), audience=str(client_id), typ=typ, mint_issuer=mint_issuer)


class ClientBoundMixin:
    """Gives a SimpleJWT token class a backend for the client it belongs to."""

    header_typ: str | None = None  # the JWT header's `typ` when minting; PyJWT's "JWT" if None

    def __init__(self, token=None, verify: bool = True, *, client_id: uuid.UUID, mint_issuer: str | None = None):
        self.client_id = client_id
        self.mint_issuer = mint_issuer  # the `iss` of a token minted here (issuer_of its client)
        super().__init__(token, verify)

    @cached_property
    def token_backend(self) -> KeyringTokenBackend:
        # SimpleJWT's hook for a token's backend (get_token_backend, kept for backward
        # compatibility, reads it too). Asked twice per decode (signature, then leeway):
        # one keyring look is enough.
        return backend_for(self.client_id, typ=self.header_typ, mint_issuer=self.mint_issuer)


class ClientAccessToken(ClientBoundMixin, AccessToken):
    # Minted with typ at+jwt; reading one does not require it: the token_type claim already
    # tells access from refresh, and access tokens minted before the typ stay valid until exp.
    header_typ = ACCESS_TOKEN_TYP

    @property
    def lifetime(self) -> timedelta:
        return timedelta(minutes=settings.AUTHSVC_ACCESS_TOKEN_MINUTES)


class LegacyRefreshToken(ClientBoundMixin, Token):
    """A refresh token as releases before opaque ones minted it: a JWT typed `refresh`.

    Read only, to honour those still live; nothing mints one any more, so after one refresh
    lifetime (AUTHSVC_REFRESH_TOKEN_DAYS) from the upgrade none is left and this can go.
    """

    token_type = "refresh"

    @property
    def lifetime(self) -> timedelta:
        return timedelta(days=settings.AUTHSVC_REFRESH_TOKEN_DAYS)


REFRESH_TOKEN_PREFIX = "rt_"
REFRESH_SECRET_BYTES = 32
# token_urlsafe(32) is 43 characters of the URL-safe base64 alphabet, unpadded.
OPAQUE_REFRESH_TOKEN = re.compile(r"rt_(?P<token_id>[0-9a-f]{32})\.[A-Za-z0-9_-]{43}")


@dataclass(frozen=True)
class OpaqueRefreshToken:
    token_id: uuid.UUID
    text: str

    @classmethod
    def new(cls) -> "OpaqueRefreshToken":
        return cls.with_secret(uuid.uuid4(), secrets.token_urlsafe(REFRESH_SECRET_BYTES))

    @classmethod
    def with_secret(cls, token_id: uuid.UUID, secret: str) -> "OpaqueRefreshToken":
        """The token of `token_id` whose secret is `secret` (43 URL-safe characters, 256 bits)."""
        return cls(token_id, f"{REFRESH_TOKEN_PREFIX}{token_id.hex}.{secret}")


def refresh_token_id(token: str, *, client_id: uuid.UUID) -> uuid.UUID | None:
    """The `tokens` row a refresh token names, or None when it is neither of our two formats.

    Only the row's HMAC says whether the token is genuine: the id of an opaque token is just
    where to look. A legacy JWT must also still verify (signature, this client, exp, type).
    """
    opaque = OPAQUE_REFRESH_TOKEN.fullmatch(token)
    if opaque is not None:
        return uuid.UUID(opaque["token_id"])
    try:
        return uuid.UUID(LegacyRefreshToken(token, client_id=client_id)["jti"])
    except (TokenError, ValueError, KeyError):
        return None
