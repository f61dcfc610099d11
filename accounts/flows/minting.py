"""Token pairs: a signed access token and an opaque refresh token with its `tokens` row."""

import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from accounts.models import RefreshToken
from accounts.tokens import ClientAccessToken, OpaqueRefreshToken, issuer_of
from crypto.hmac_keys import hmac_digest
from tenants.models import AbstractTenantUser, Client

REFRESH_HASH_SALT = "authsvc.accounts.refresh_token"


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "Bearer"


def refresh_token_hash(token: str) -> str:
    return hmac_digest(REFRESH_HASH_SALT, token)


def pair_mint(*, client: Client, user: AbstractTenantUser, family_id: uuid.UUID) -> tuple[TokenPair, RefreshToken]:
    """A signed access token, an opaque refresh token, and the (unsaved) `tokens` row of the latter."""
    access = ClientAccessToken(client_id=client.client_id, mint_issuer=issuer_of(client))
    access["sub"] = str(user.user_id)
    access["client_id"] = str(client.client_id)
    access["email"] = user.email
    access["gen"] = user.current_token_generation
    # The session (login) it belongs to, as OIDC names it: token/verify refuses it once revoked.
    access["sid"] = str(family_id)
    refresh = OpaqueRefreshToken.new()
    row = RefreshToken(
        token_id=refresh.token_id,
        client=client,
        user_id=user.user_id,
        token_hash=refresh_token_hash(refresh.text),
        family_id=family_id,
        expires_at=timezone.now() + timedelta(days=settings.AUTHSVC_REFRESH_TOKEN_DAYS),
    )
    pair = TokenPair(
        access_token=str(access),
        refresh_token=refresh.text,
        expires_in=settings.AUTHSVC_ACCESS_TOKEN_MINUTES * 60,
    )
    return pair, row


def pair_issue(*, client: Client, user: AbstractTenantUser, family_id: uuid.UUID | None = None) -> TokenPair:
    """A pair whose refresh token is saved: of a new family (a login) unless `family_id` is given."""
    pair, row = pair_mint(client=client, user=user, family_id=family_id or uuid.uuid4())
    row.save(force_insert=True)
    return pair
