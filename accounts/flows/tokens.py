"""Refresh, logout and revocation of refresh tokens (opaque, rotated, one family per login).

A family is one login: its refresh tokens, and the access tokens minted from them (their `sid`).
Revoking it ends the login: no refresh accepts its tokens, and `token/verify` (accounts.selectors)
answers its access tokens inactive. Offline verifiers accept those until `exp`: a JWT cannot be recalled.

A spent refresh token presented again is reuse: its family is revoked. A client may choose a
refresh reuse interval (`Client.refresh_reuse_interval`, seconds): within it of the spend, the
spent token answers the same successor again (a new access token of the same session beside it),
so two tabs or a retried call that raced one refresh all get one answer. The trade-off (docs/api.md
§5): a thief replaying a stolen token within the interval gets the pair the user got, never a
new branch of the session; it goes undetected until the two holders' refreshes fall more than the
interval apart, and the later one is then a reuse.
"""

import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from accounts.errors import InvalidToken, TokenReused
from accounts.events import (
    LogoutFailed,
    TokenFamilyRevoked,
    TokenRefreshed,
    TokenRefreshFailed,
    TokenReuseDetected,
    TokenRevoked,
    TokenRevokeFailed,
    UserLoggedOut,
)
from accounts.flows.minting import REFRESH_HASH_SALT, TokenPair, pair_mint, pair_of, successor_recomputed
from accounts.models import RefreshToken
from accounts.selectors import access_token_decoded, user_get
from accounts.tokens import refresh_token_id
from core.events import failures_published, publish, publish_refusal
from core.inserts import row_insert
from core.request_meta import RequestMeta
from core.updates import row_update_if
from crypto.hmac_keys import hmac_matches
from tenants.models import AbstractTenantUser, Client


@dataclass(frozen=True)
class RefreshDone:
    user_id: uuid.UUID
    tokens: TokenPair
    replayed: bool = False  # the spent token came back within the reuse interval: its successor again


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


def _record_successor_and_spend(*, row: RefreshToken, successor: RefreshToken) -> bool:
    """Record `successor` and spend `row` for it; True only for the one refresh that spent it.

    The successor is recorded before the spend, so that when two refreshes race, the loser's
    family revocation always reaches the winner's new token too. The conditional update is
    the atomic spend on every store: of two concurrent refreshes exactly one matches the
    unspent row, and its matched count says which.
    """
    row_insert(successor)
    unspent = {"replaced_by": None, "revoked_at": None}
    return row_update_if(RefreshToken, row.pk, expected=unspent, changes={"replaced_by": successor.token_id, "spent_at": timezone.now()}) == 1


def _active_user(*, client: Client, row: RefreshToken) -> AbstractTenantUser | None:
    user = user_get(client=client, user_id=row.user_id)
    return user if user is not None and user.is_active else None


def _within_reuse_interval(*, client: Client, row: RefreshToken) -> bool:
    interval = client.refresh_reuse_interval
    return bool(interval) and row.spent_at is not None and timezone.now() - row.spent_at <= timedelta(seconds=interval)


def _successor_again(*, client: Client, row: RefreshToken, refresh_token: str) -> RefreshDone | None:
    """The pair the refresh that spent `row` answered (its refresh token, a new access token of the
    session), while the client's reuse interval lasts and nothing has happened to the session since:
    the successor unspent and live, the user active. Else None: the presentation is a reuse."""
    if row.is_revoked or not _within_reuse_interval(client=client, row=row):
        return None
    successor = RefreshToken.objects.filter(pk=row.replaced_by, client=client).first()
    if successor is None or successor.is_spent or successor.is_revoked or successor.expires_at <= timezone.now():
        return None
    # Only the holder of the spent token can recompute it; a successor minted before secrets were
    # derived (or by another spend) does not match, and counts as reuse.
    text = successor_recomputed(spent=refresh_token, successor=successor)
    user = None if text is None else _active_user(client=client, row=row)
    if user is None:
        return None
    pair = pair_of(client=client, user=user, family_id=row.family_id, refresh_token=text)
    return RefreshDone(user_id=user.user_id, tokens=pair, replayed=True)


def _presented_again(*, client: Client, row: RefreshToken, refresh_token: str, request_meta: RequestMeta | None) -> RefreshDone:
    """A spent token: its successor again within the client's refresh reuse interval, else reuse detection."""
    done = _successor_again(client=client, row=row, refresh_token=refresh_token)
    if done is None:
        raise _reuse_detected(row=row, request_meta=request_meta)
    return done


def _spend(*, client: Client, row: RefreshToken, refresh_token: str, request_meta: RequestMeta | None) -> RefreshDone:
    """Spend an unspent token for a new pair; what a concurrent refresh or logout did first decides otherwise."""
    if row.is_revoked:
        raise InvalidToken("This refresh token has been revoked.")
    user = _active_user(client=client, row=row)
    if user is None:
        token_family_revoke(family_id=row.family_id)
        raise InvalidToken()
    pair, successor = pair_mint(client=client, user=user, family_id=row.family_id, spent=refresh_token)
    if _record_successor_and_spend(row=row, successor=successor):
        return RefreshDone(user_id=user.user_id, tokens=pair)
    # Lost to another refresh or to a logout. This successor was never handed out: it goes.
    RefreshToken.objects.filter(pk=successor.pk).delete()
    row = RefreshToken.objects.filter(pk=row.pk).first()
    if row is None or not row.is_spent:
        # A logout (or a revocation) came first: the token is simply revoked, not reused.
        raise InvalidToken("This refresh token has been revoked.")
    return _presented_again(client=client, row=row, refresh_token=refresh_token, request_meta=request_meta)


def token_refresh(*, client: Client, refresh_token: str, request_meta: RequestMeta | None = None) -> RefreshDone:
    with failures_published(TokenRefreshFailed, client_id=client.client_id, request_meta=request_meta):
        row = _decode_refresh(client=client, refresh_token=refresh_token)
        step = _presented_again if row.is_spent else _spend
        done = step(client=client, row=row, refresh_token=refresh_token, request_meta=request_meta)
    publish(TokenRefreshed(client_id=client.client_id, user_id=done.user_id, replayed=done.replayed or None, request_meta=request_meta))
    return done


def token_logout(*, client: Client, refresh_token: str, request_meta: RequestMeta | None = None) -> None:
    """Revoke the token's family. Idempotent: a spent or revoked token of this client is fine."""
    with failures_published(LogoutFailed, client_id=client.client_id, request_meta=request_meta):
        row = _decode_refresh(client=client, refresh_token=refresh_token)
    token_family_revoke(family_id=row.family_id)
    publish(UserLoggedOut(client_id=client.client_id, user_id=row.user_id, request_meta=request_meta))


@dataclass(frozen=True)
class _Found:
    """A live token of the client, and the login it belongs to (None: an access token from before `sid`)."""

    token_type: str
    user_id: uuid.UUID | None
    family_id: uuid.UUID | None


def _refresh_token_found(*, client: Client, token: str) -> _Found | None:
    try:
        row = _decode_refresh(client=client, refresh_token=token)
    except InvalidToken:
        return None
    return _Found("refresh_token", row.user_id, row.family_id)


def _uuid_or_none(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _access_token_found(*, client: Client, token: str) -> _Found | None:
    access = access_token_decoded(client=client, token=token)
    if access is None:
        return None
    sid = access.get("sid")
    return _Found("access_token", _uuid_or_none(access.get("sub")), None if sid is None else _uuid_or_none(sid))


def token_revoke(*, client: Client, token: str, token_type_hint: str | None = None, request_meta: RequestMeta | None = None) -> None:
    """RFC 7009: revoke the login (token family) of a live refresh or access token of this client.

    Answers nothing either way, so that the caller learns nothing of a token it does not hold:
    an unknown, malformed, expired or other client's token changes nothing (published as a failed
    revocation). Idempotent: a family already revoked stays revoked. The hint only says which
    form to try first; each token is recognised by its own form.
    """
    finders = [_refresh_token_found, _access_token_found]
    if token_type_hint == "access_token":
        finders.reverse()
    found = next((hit for finder in finders if (hit := finder(client=client, token=token)) is not None), None)
    if found is None:
        publish(TokenRevokeFailed(client_id=client.client_id, request_meta=request_meta))
        return
    revoked = 0 if found.family_id is None else token_family_revoke(family_id=found.family_id)
    publish(
        TokenRevoked(
            client_id=client.client_id,
            user_id=found.user_id,
            token_type=found.token_type,
            family_id=found.family_id,
            revoked=revoked,
            request_meta=request_meta,
        )
    )
