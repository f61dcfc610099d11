"""Refresh, logout and revocation of refresh tokens (opaque, rotated, one family per login)."""

import uuid
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from accounts.errors import InvalidToken, TokenReused
from accounts.events import LogoutFailed, TokenFamilyRevoked, TokenRefreshed, TokenRefreshFailed, TokenReuseDetected, UserLoggedOut
from accounts.flows.minting import REFRESH_HASH_SALT, TokenPair, pair_mint
from accounts.models import RefreshToken
from accounts.selectors import user_get
from accounts.tokens import refresh_token_id
from core.events import failures_published, publish, publish_refusal
from core.request_meta import RequestMeta
from crypto.hmac_keys import hmac_matches
from tenants.models import Client


@dataclass(frozen=True)
class RefreshDone:
    user_id: uuid.UUID
    tokens: TokenPair


def token_family_revoke(*, family_id: uuid.UUID) -> int:
    return RefreshToken.objects.filter(family_id=family_id, revoked_at__isnull=True).update(revoked_at=timezone.now())


def token_families_revoke_by_staff(*, family_ids: set[uuid.UUID], request_meta: RequestMeta | None = None) -> int:
    """Staff revoke whole families (admin); each family is published for the audit trail."""
    total = 0
    for family_id in family_ids:
        member = RefreshToken.objects.filter(family_id=family_id).only("client_id", "user_id").first()
        if member is None:
            continue
        revoked = token_family_revoke(family_id=family_id)
        total += revoked
        publish(
            TokenFamilyRevoked(
                client_id=member.client_id, user_id=member.user_id, family_id=family_id, revoked=revoked, request_meta=request_meta
            )
        )
    return total


def user_tokens_revoke(*, client: Client, user_id: uuid.UUID) -> int:
    return RefreshToken.objects.filter(client=client, user_id=user_id, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def _decode_refresh(*, client: Client, refresh_token: str) -> RefreshToken:
    """The unexpired row of a genuine refresh token of this client, or InvalidToken."""
    token_id = refresh_token_id(refresh_token, client_id=client.client_id)
    row = None if token_id is None else RefreshToken.objects.filter(pk=token_id, client=client).first()
    if row is None or not hmac_matches(REFRESH_HASH_SALT, refresh_token, row.token_hash):
        raise InvalidToken()
    # An opaque token's lifetime is its row's; a legacy JWT's `exp` was checked too, and is the same.
    if row.expires_at <= timezone.now():
        raise InvalidToken()
    return row


def _reuse_detected(*, row: RefreshToken, request_meta: RequestMeta | None) -> TokenReused:
    """Revoke the family of a token presented twice; published as a reuse, not as a failed refresh."""
    revoked = token_family_revoke(family_id=row.family_id)
    detected = TokenReuseDetected(
        client_id=row.client_id, user_id=row.user_id, family_id=row.family_id, revoked=revoked, request_meta=request_meta
    )
    return publish_refusal(detected, TokenReused(user_id=row.user_id))


def _unspent(row: RefreshToken) -> QuerySet[RefreshToken]:
    return RefreshToken.objects.filter(pk=row.pk, replaced_by__isnull=True, revoked_at__isnull=True)


def _record_successor_and_spend(*, row: RefreshToken, successor: RefreshToken) -> bool:
    """Record `successor` and spend `row` for it; True only for the one refresh that spent it.

    The successor is recorded before the spend, so that when two refreshes race, the loser's
    family revocation always reaches the winner's new token too. The conditional update is
    the atomic spend on every store: of two concurrent refreshes exactly one matches the
    unspent row, and its matched count says which.
    """
    successor.save(force_insert=True)
    return _unspent(row).update(replaced_by=successor.token_id) == 1


def token_refresh(*, client: Client, refresh_token: str, request_meta: RequestMeta | None = None) -> RefreshDone:
    with failures_published(TokenRefreshFailed, client_id=client.client_id, request_meta=request_meta):
        row = _decode_refresh(client=client, refresh_token=refresh_token)
        if row.is_spent:
            raise _reuse_detected(row=row, request_meta=request_meta)
        if row.is_revoked:
            raise InvalidToken("This refresh token has been revoked.")
        user = user_get(client=client, user_id=row.user_id)
        if user is None or not user.is_active:
            token_family_revoke(family_id=row.family_id)
            raise InvalidToken()
        pair, next_row = pair_mint(client=client, user=user, family_id=row.family_id)
        if not _record_successor_and_spend(row=row, successor=next_row):
            raise _reuse_detected(row=row, request_meta=request_meta)
    publish(TokenRefreshed(client_id=client.client_id, user_id=user.user_id, request_meta=request_meta))
    return RefreshDone(user_id=user.user_id, tokens=pair)


def token_logout(*, client: Client, refresh_token: str, request_meta: RequestMeta | None = None) -> None:
    """Revoke the token's family. Idempotent: a spent or revoked token of this client is fine."""
    with failures_published(LogoutFailed, client_id=client.client_id, request_meta=request_meta):
        row = _decode_refresh(client=client, refresh_token=refresh_token)
    token_family_revoke(family_id=row.family_id)
    publish(UserLoggedOut(client_id=client.client_id, user_id=row.user_id, request_meta=request_meta))
