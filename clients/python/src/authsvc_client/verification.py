"""Access tokens verified in your own process: no call to authsvc per request.

`TokenVerifier(base_url, client_id)` reads the issuer's discovery document once (the client's own when
it has one, else the service's), fetches the keys at its `jwks_uri` once and keeps them. It accepts an
access token only if: its header says `typ` at+jwt and `alg` RS256, its `kid` is one of the issuer's
keys, the RS256 signature checks, `aud` is your client id, `iss` is the issuer, and `exp` has not
passed. An unknown `kid` (a key rotated in) fetches the keys again, at most once per
`refresh_interval` seconds, so tokens with made-up kids cannot make it hammer the service; the keys
are also fetched again once they are `max_age` seconds old (the JWKS's own max-age), so a key the
service dropped stops verifying.

What it cannot see: a token stays valid here until its `exp` (15 minutes by default) after a logout,
a revocation, a refresh token's reuse, a password reset, a deactivation or a deletion. `online=True`
(with the access key) asks `token/verify` after the local checks pass, which sees all of those, for
one HTTP call per request.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt

from .client import AuthsvcClient
from .errors import ServiceUnavailable
from .models import Introspection

logger = logging.getLogger("authsvc_client")

ALGORITHM = "RS256"
ACCESS_TOKEN_TYPE = "at+jwt"
REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "sub"]


class TokenRejected(Exception):
    """The token is not a live access token of this client; `reason` says which check refused it."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


@dataclass(frozen=True)
class AccessClaims:
    """What a verified access token says: whose it is, for which client, which login (`session_id`)."""

    user_id: str
    client_id: str
    email: str | None
    session_id: str | None
    issuer: str
    issued_at: int
    expires_at: int
    claims: dict[str, Any] = field(repr=False)
    # Online mode only: the user as stored now (`token/verify`'s answer).
    introspection: Introspection | None = field(default=None, repr=False)

    @classmethod
    def from_claims(cls, claims: dict[str, Any], introspection: Introspection | None = None) -> AccessClaims:
        return cls(
            user_id=claims["sub"],
            client_id=claims.get("client_id") or claims["aud"],
            email=claims.get("email"),
            session_id=claims.get("sid"),
            issuer=claims["iss"],
            issued_at=int(claims["iat"]),
            expires_at=int(claims["exp"]),
            claims=claims,
            introspection=introspection,
        )


class KeySet:
    """The issuer's public keys by `kid`, fetched when first needed and kept; refetched when stale, and
    for an unknown kid at most once per `refresh_interval` seconds."""

    def __init__(self, http: httpx.Client, *, max_age: float, refresh_interval: float) -> None:
        self._http = http
        self._max_age = max_age
        self._refresh_interval = refresh_interval
        self._lock = threading.Lock()
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at: float | None = None
        self._unknown_kid_fetch_at = float("-inf")
        self.jwks_uri: str | None = None
        self.fetches = 0

    def key(self, kid: str) -> jwt.PyJWK | None:
        found = None if self._stale(time.monotonic()) else self._keys.get(kid)
        if found is not None:
            return found
        with self._lock:  # one fetch for all the threads that wait on it
            now = time.monotonic()
            if self._stale(now):
                self._fetch(now)
            elif kid not in self._keys:
                if now - self._unknown_kid_fetch_at < self._refresh_interval:
                    return None
                self._unknown_kid_fetch_at = now
                self._fetch(now)
            return self._keys.get(kid)

    def _stale(self, now: float) -> bool:
        return self._fetched_at is None or now - self._fetched_at >= self._max_age

    def _fetch(self, now: float) -> None:
        assert self.jwks_uri is not None
        self.fetches += 1
        try:
            response = self._http.get(self.jwks_uri, headers={"Accept": "application/json"})
            response.raise_for_status()
            found = jwt.PyJWKSet.from_dict(response.json())
        except (httpx.HTTPError, ValueError, jwt.PyJWKSetError) as exc:
            if not self._keys:
                raise ServiceUnavailable(f"the keys at {self.jwks_uri} could not be read ({type(exc).__name__})") from None
            # Keep verifying with the keys we have; try again after one refresh interval.
            logger.warning("authsvc keys at %s could not be read (%s); keeping the %d known", self.jwks_uri, type(exc).__name__, len(self._keys))
            self._fetched_at = now - self._max_age + self._refresh_interval
            return
        self._keys = {key.key_id: key for key in found.keys if key.key_id and key.key_type == "RSA"}
        self._fetched_at = now


class TokenVerifier:
    """Verifies this client's access tokens locally (see the module's docstring); thread-safe, keep one."""

    def __init__(
        self,
        base_url: str,
        client_id: str,
        *,
        access_key: str | None = None,
        online: bool = False,
        issuer: str | Sequence[str] | None = None,
        leeway: float = 0,
        max_age: float = 300.0,
        refresh_interval: float = 30.0,
        timeout: float = 5.0,
        http_client: httpx.Client | None = None,
    ) -> None:
        if online and not access_key:
            raise ValueError("online verification calls token/verify, which needs the client's access key")
        self.client_id = str(client_id)
        self.online = online
        self._issuers: list[str] | None = [issuer] if isinstance(issuer, str) else (list(issuer) if issuer else None)
        self._leeway = leeway
        self._http = http_client or httpx.Client(timeout=timeout)
        self._owns_http = http_client is None
        self._api = AuthsvcClient(base_url, self.client_id, access_key or "", http_client=self._http, retries=1)
        self._keys = KeySet(self._http, max_age=max_age, refresh_interval=refresh_interval)
        self._discovery_lock = threading.Lock()

    def verify(self, token: str) -> AccessClaims:
        """The claims of a live access token of this client; TokenRejected for any other token.

        AuthsvcError (ServiceUnavailable, AuthsvcConnectionError) when the keys or, online, `token/verify`
        cannot be reached: that is no verdict on the token.
        """
        header = self._header(token)
        issuers = self._issuers_and_keys()
        key = self._keys.key(header["kid"])
        if key is None:
            raise TokenRejected("unknown_key", "no key of the issuer has this kid")
        try:
            verified = jwt.decode_complete(
                token, key.key, algorithms=[ALGORITHM], audience=self.client_id, issuer=issuers,
                leeway=self._leeway, options={"require": REQUIRED_CLAIMS},
            )
        except jwt.InvalidTokenError as exc:
            raise TokenRejected(_reason(exc), str(exc)) from None
        if verified["header"].get("typ") != ACCESS_TOKEN_TYPE:  # the header PyJWT verified is the one that counts
            raise TokenRejected("not_an_access_token", "typ changed")
        claims = verified["payload"]
        if not self.online:
            return AccessClaims.from_claims(claims)
        return self._introspected(token, claims)

    def _header(self, token: str) -> dict[str, Any]:
        """Checks that need no key come first: a refresh token or garbage never triggers a fetch.

        Only the header segment is read here, not the whole token as jwt.get_unverified_header does
        (which costs as much as the signature check); PyJWT then verifies the token and its header.
        """
        header = _unverified_header(token)
        if header.get("typ") != ACCESS_TOKEN_TYPE:
            raise TokenRejected("not_an_access_token", f"typ is {header.get('typ')!r}, not {ACCESS_TOKEN_TYPE!r}")
        if header.get("alg") != ALGORITHM:
            raise TokenRejected("algorithm", f"alg is {header.get('alg')!r}, not {ALGORITHM}")
        if not isinstance(header.get("kid"), str):
            raise TokenRejected("unknown_key", "no kid")
        return header

    def _issuers_and_keys(self) -> list[str]:
        if self._keys.jwks_uri is None:
            with self._discovery_lock:
                if self._keys.jwks_uri is None:
                    document = self._api.discovery()
                    if self._issuers is None:
                        self._issuers = [document.issuer]
                    self._keys.jwks_uri = document.jwks_uri
        assert self._issuers is not None
        return self._issuers

    def _introspected(self, token: str, claims: dict[str, Any]) -> AccessClaims:
        introspection = self._api.verify(token, token_type_hint="access_token")
        if not introspection.active:
            raise TokenRejected("inactive", "token/verify: the login ended, or the user changed")
        return AccessClaims.from_claims(claims, introspection)

    @property
    def key_fetches(self) -> int:
        """How many times the keys were fetched (for monitoring; each unknown kid may cost one)."""
        return self._keys.fetches

    def close(self) -> None:
        if self._owns_http:
            self._http.close()


def _unverified_header(token: str) -> dict[str, Any]:
    segments = token.split(".")
    try:
        if len(segments) != 3:
            raise ValueError("not three segments")
        header = json.loads(base64.urlsafe_b64decode(segments[0] + "=" * (-len(segments[0]) % 4)))
    except (ValueError, binascii.Error):
        raise TokenRejected("malformed", "not a JWT") from None
    if not isinstance(header, dict):
        raise TokenRejected("malformed", "not a JWT")
    return header


REASONS: list[tuple[type[jwt.InvalidTokenError], str]] = [
    (jwt.ExpiredSignatureError, "expired"),
    (jwt.InvalidAudienceError, "audience"),
    (jwt.InvalidIssuerError, "issuer"),
    (jwt.InvalidSignatureError, "signature"),
    (jwt.MissingRequiredClaimError, "missing_claim"),
    (jwt.ImmatureSignatureError, "not_yet_valid"),
    (jwt.InvalidAlgorithmError, "algorithm"),
]


def _reason(exc: jwt.InvalidTokenError) -> str:
    return next((reason for cls, reason in REASONS if isinstance(exc, cls)), "invalid")
