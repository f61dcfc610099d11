"""Writes of the accounts context: sign-up, login, token rotation, logout, user changes.

Every public function is keyword-only, takes the Client it acts for, raises our own
errors (tenants.errors) and announces its outcome with a signal (accounts.signals).
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, timezone as dt_timezone
from functools import lru_cache

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import IntegrityError
from django.utils import timezone
from django.utils.crypto import constant_time_compare, get_random_string, salted_hmac
from rest_framework_simplejwt.exceptions import TokenError

from accounts import signals
from accounts.models import RefreshToken
from accounts.selectors import user_find_by_email, user_get
from accounts.tokens import ClientAccessToken, ClientRefreshToken
from accounts.validation import normalize_email, validate_custom_fields, validate_new_password
from tenants.errors import (
    AccountDisabled,
    EmailNotVerified,
    EmailTaken,
    InvalidCredentials,
    InvalidToken,
    ServiceError,
    TokenReused,
)
from tenants.models import AbstractTenantUser, Client
from tenants.request_meta import RequestMeta
from tenants.user_models import user_model_for

REFRESH_HASH_SALT = "authsvc.accounts.refresh_token"


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "Bearer"


@dataclass(frozen=True)
class SignupResult:
    user: AbstractTenantUser
    tokens: TokenPair | None  # None while the email awaits verification


# --- passwords ---------------------------------------------------------------------


@lru_cache(maxsize=4)
def _dummy_password_hash(rounds: int) -> str:
    return make_password(get_random_string(32))


def _spend_one_password_check(password: str) -> None:
    """Same hasher, same rounds as a real check: an unknown email costs what a wrong password costs."""
    check_password(password, _dummy_password_hash(settings.AUTHSVC_BCRYPT_ROUNDS))


def _password_matches(user: AbstractTenantUser, password: str) -> bool:
    def upgrade(raw: str) -> None:
        user.password_hash = make_password(raw)
        type(user).objects.filter(pk=user.pk).update(password_hash=user.password_hash)

    return check_password(password, user.password_hash, setter=upgrade)


# --- tokens ------------------------------------------------------------------------


def refresh_token_hash(token: str) -> str:
    return salted_hmac(REFRESH_HASH_SALT, token, algorithm="sha256").hexdigest()


def _mint_pair(*, client: Client, user: AbstractTenantUser, family_id: uuid.UUID) -> tuple[TokenPair, RefreshToken]:
    """Signed tokens and the (unsaved) `tokens` row of the refresh token."""
    refresh = ClientRefreshToken(client_id=client.client_id)
    access = ClientAccessToken(client_id=client.client_id)
    for token in (refresh, access):
        token["sub"] = str(user.user_id)
        token["client_id"] = str(client.client_id)
    access["email"] = user.email
    encoded_refresh = str(refresh)
    row = RefreshToken(
        token_id=uuid.UUID(refresh["jti"]),
        client=client,
        user_id=user.user_id,
        token_hash=refresh_token_hash(encoded_refresh),
        family_id=family_id,
        expires_at=datetime.fromtimestamp(refresh["exp"], tz=dt_timezone.utc),
    )
    pair = TokenPair(
        access_token=str(access),
        refresh_token=encoded_refresh,
        expires_in=settings.AUTHSVC_ACCESS_TOKEN_MINUTES * 60,
    )
    return pair, row


def _issue_pair(*, client: Client, user: AbstractTenantUser, family_id: uuid.UUID) -> TokenPair:
    pair, row = _mint_pair(client=client, user=user, family_id=family_id)
    row.save(force_insert=True)
    return pair


def token_family_revoke(*, family_id: uuid.UUID) -> int:
    return RefreshToken.objects.filter(family_id=family_id, revoked_at__isnull=True).update(revoked_at=timezone.now())


def user_tokens_revoke(*, client: Client, user_id: uuid.UUID) -> int:
    return RefreshToken.objects.filter(client=client, user_id=user_id, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def _decode_refresh(*, client: Client, refresh_token: str) -> RefreshToken:
    """The row of a genuine refresh token of this client, or InvalidToken."""
    try:
        decoded = ClientRefreshToken(refresh_token, client_id=client.client_id)
        token_id = uuid.UUID(decoded["jti"])
    except (TokenError, ValueError, KeyError):
        raise InvalidToken() from None
    row = RefreshToken.objects.filter(pk=token_id, client=client).first()
    if row is None or not constant_time_compare(row.token_hash, refresh_token_hash(refresh_token)):
        raise InvalidToken()
    return row


def _reuse_detected(*, client: Client, row: RefreshToken, request_meta: RequestMeta | None) -> TokenReused:
    revoked = token_family_revoke(family_id=row.family_id)
    signals.token_reuse_detected.send(
        sender=RefreshToken,
        client=client,
        user_id=row.user_id,
        request_meta=request_meta,
        reason="token_reused",
        metadata={"family_id": str(row.family_id), "revoked": revoked},
    )
    error = TokenReused()
    error.announced = True
    return error


def token_refresh(*, client: Client, refresh_token: str, request_meta: RequestMeta | None = None) -> TokenPair:
    row = _decode_refresh(client=client, refresh_token=refresh_token)
    if row.is_spent:
        raise _reuse_detected(client=client, row=row, request_meta=request_meta)
    if row.is_revoked:
        raise InvalidToken("This refresh token has been revoked.")
    user = user_get(client=client, user_id=row.user_id)
    if user is None or not user.is_active:
        token_family_revoke(family_id=row.family_id)
        raise InvalidToken()
    pair, next_row = _mint_pair(client=client, user=user, family_id=row.family_id)
    # The conditional update is the atomic spend on every store: of two concurrent
    # refreshes exactly one matches the unspent row; the other is a reuse.
    claimed = RefreshToken.objects.filter(pk=row.pk, replaced_by__isnull=True, revoked_at__isnull=True).update(
        replaced_by=next_row.token_id
    )
    if claimed != 1:
        raise _reuse_detected(client=client, row=row, request_meta=request_meta)
    next_row.save(force_insert=True)
    signals.token_refreshed.send(
        sender=RefreshToken, client=client, user_id=user.user_id, request_meta=request_meta, metadata={}
    )
    return pair


def token_logout(*, client: Client, refresh_token: str, request_meta: RequestMeta | None = None) -> None:
    """Revoke the token's family. Idempotent: a spent or revoked token of this client is fine."""
    row = _decode_refresh(client=client, refresh_token=refresh_token)
    token_family_revoke(family_id=row.family_id)
    signals.user_logged_out.send(
        sender=RefreshToken, client=client, user_id=row.user_id, request_meta=request_meta, metadata={}
    )


# --- sign-up and login ---------------------------------------------------------------


def user_signup(
    *,
    client: Client,
    email: str,
    password: str,
    custom_fields: dict | None = None,
    request_meta: RequestMeta | None = None,
) -> SignupResult:
    model = user_model_for(client.client_id)
    user = model(email=normalize_email(email), custom_fields=custom_fields or {})
    validate_new_password(password, user=user)
    validate_custom_fields(user.custom_fields, schema=client.custom_fields_schema)
    user.password_hash = make_password(password)
    try:
        user.save(force_insert=True)
    except IntegrityError:
        raise EmailTaken() from None
    tokens = None
    if not client.require_email_verification:
        tokens = _issue_pair(client=client, user=user, family_id=uuid.uuid4())
    signals.user_signed_up.send(
        sender=model,
        client=client,
        user_id=user.user_id,
        request_meta=request_meta,
        metadata={"verification_required": client.require_email_verification},
    )
    return SignupResult(user=user, tokens=tokens)


def _login_failed(*, client: Client, user_id, error: ServiceError, request_meta: RequestMeta | None) -> ServiceError:
    signals.user_login_failed.send(
        sender=Client, client=client, user_id=user_id, request_meta=request_meta, reason=error.code, metadata={}
    )
    error.announced = True
    return error


def user_login(*, client: Client, email: str, password: str, request_meta: RequestMeta | None = None) -> tuple[AbstractTenantUser, TokenPair]:
    user = user_find_by_email(client=client, email=normalize_email(email))
    if user is None:
        _spend_one_password_check(password)
        raise _login_failed(client=client, user_id=None, error=InvalidCredentials(), request_meta=request_meta)
    if not _password_matches(user, password):
        raise _login_failed(client=client, user_id=user.user_id, error=InvalidCredentials(), request_meta=request_meta)
    # Only someone who knows the password learns that the account is disabled or unverified.
    if not user.is_active:
        raise _login_failed(client=client, user_id=user.user_id, error=AccountDisabled(), request_meta=request_meta)
    if client.require_email_verification and not user.email_verified:
        raise _login_failed(client=client, user_id=user.user_id, error=EmailNotVerified(), request_meta=request_meta)
    pair = _issue_pair(client=client, user=user, family_id=uuid.uuid4())
    signals.user_logged_in.send(sender=Client, client=client, user_id=user.user_id, request_meta=request_meta, metadata={})
    return user, pair


# --- user management -----------------------------------------------------------------


def user_update(
    *,
    client: Client,
    user: AbstractTenantUser,
    custom_fields: dict | None = None,
    is_active: bool | None = None,
    request_meta: RequestMeta | None = None,
) -> AbstractTenantUser:
    changed: list[str] = []
    if custom_fields is not None:
        user.custom_fields = validate_custom_fields(custom_fields, schema=client.custom_fields_schema)
        changed.append("custom_fields")
    if is_active is not None and is_active != user.is_active:
        user.is_active = is_active
        changed.append("is_active")
    if changed:
        user.save(update_fields=[*changed, "updated_at"])
    if "is_active" in changed and not user.is_active:
        user_tokens_revoke(client=client, user_id=user.user_id)
    signals.user_updated.send(
        sender=type(user), client=client, user_id=user.user_id, request_meta=request_meta, metadata={"fields": changed}
    )
    return user


def user_delete(*, client: Client, user: AbstractTenantUser, request_meta: RequestMeta | None = None) -> None:
    user_id = user.user_id
    user_tokens_revoke(client=client, user_id=user_id)
    user.delete()
    signals.user_deleted.send(sender=type(user), client=client, user_id=user_id, request_meta=request_meta, metadata={})
