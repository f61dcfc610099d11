"""Token pairs: a signed access token and an opaque refresh token with its `tokens` row.

A login's first refresh token has a random secret. Each refresh token after it (a successor)
has a secret derived from the token it replaces and its own id, under the service's HMAC key
(`successor_refresh_token`): the refresh reuse interval can then answer the same successor to
whoever presents the spent token again, without the successor ever being stored but as an
HMAC. Recomputing it needs both the spent token (only its holder has it; `tokens` has an HMAC)
and the HMAC key (only the service has it).
"""

import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from accounts.models import RefreshToken
from accounts.tokens import ClientAccessToken, OpaqueRefreshToken, issuer_of
from core.inserts import row_insert
from crypto.hmac_keys import current_key, hmac_digest, hmac_matches, hmac_secret, verification_keys
from tenants.models import AbstractTenantUser, Client

REFRESH_HASH_SALT = "authsvc.accounts.refresh_token"
SUCCESSOR_SECRET_SALT = "authsvc.accounts.refresh_token_successor"


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "Bearer"


def refresh_token_hash(token: str) -> str:
    return hmac_digest(REFRESH_HASH_SALT, token)


def successor_refresh_token(*, spent: str, successor_id: uuid.UUID, key: str | None = None) -> OpaqueRefreshToken:
    """The refresh token `successor_id` that replaces `spent` (an opaque token or a legacy JWT)."""
    # The id has a fixed length (32 hex digits), so id and token cannot run into each other.
    secret = hmac_secret(SUCCESSOR_SECRET_SALT, f"{successor_id.hex}:{spent}", key=key or current_key())
    return OpaqueRefreshToken.with_secret(successor_id, secret)


def successor_recomputed(*, spent: str, successor: RefreshToken) -> str | None:
    """The successor's token as the refresh that spent `spent` answered it, or None if it was not derived
    from `spent`. Derived under the key current then: any key the service still accepts is tried."""
    for key in verification_keys():
        text = successor_refresh_token(spent=spent, successor_id=successor.token_id, key=key).text
        if hmac_matches(REFRESH_HASH_SALT, text, successor.token_hash):
            return text
    return None


def access_token_mint(*, client: Client, user: AbstractTenantUser, family_id: uuid.UUID) -> str:
    """A signed access token of `user` for the session (login) `family_id`."""
    access = ClientAccessToken(client_id=client.client_id, mint_issuer=issuer_of(client))
    access["sub"] = str(user.user_id)
    access["client_id"] = str(client.client_id)
    access["email"] = user.email
    access["gen"] = user.current_token_generation
    # The session (login) it belongs to, as OIDC names it: token/verify refuses it once revoked.
    access["sid"] = str(family_id)
    return str(access)


def pair_of(*, client: Client, user: AbstractTenantUser, family_id: uuid.UUID, refresh_token: str) -> TokenPair:
    """A new access token beside the refresh token `refresh_token` (already recorded)."""
    return TokenPair(
        access_token=access_token_mint(client=client, user=user, family_id=family_id),
        refresh_token=refresh_token,
        expires_in=settings.AUTHSVC_ACCESS_TOKEN_MINUTES * 60,
    )


def pair_mint(
    *, client: Client, user: AbstractTenantUser, family_id: uuid.UUID, spent: str | None = None
) -> tuple[TokenPair, RefreshToken]:
    """A signed access token, an opaque refresh token, and the (unsaved) `tokens` row of the latter.

    The refresh token's secret is random, or derived from `spent`, the token it replaces.
    """
    refresh = OpaqueRefreshToken.new() if spent is None else successor_refresh_token(spent=spent, successor_id=uuid.uuid4())
    row = RefreshToken(
        token_id=refresh.token_id,
        client=client,
        user_id=user.user_id,
        token_hash=refresh_token_hash(refresh.text),
        family_id=family_id,
        expires_at=timezone.now() + timedelta(days=settings.AUTHSVC_REFRESH_TOKEN_DAYS),
    )
    return pair_of(client=client, user=user, family_id=family_id, refresh_token=refresh.text), row


def pair_issue(*, client: Client, user: AbstractTenantUser, family_id: uuid.UUID | None = None) -> TokenPair:
    """A pair whose refresh token is saved: of a new family (a login) unless `family_id` is given."""
    pair, row = pair_mint(client=client, user=user, family_id=family_id or uuid.uuid4())
    row_insert(row)
    return pair
