"""Writes of the accounts context: sign-up, login, token rotation, logout, user changes.

Every public function is keyword-only, takes the Client it acts for, raises our own
errors (core.errors) and announces its outcome with a signal (accounts.signals).
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import IntegrityError, router, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.crypto import get_random_string

from accounts import outbox, signals
from accounts.email_tokens import EmailTokenRefused, Purpose, email_token_user
from accounts.errors import AccountDisabled, EmailNotVerified, EmailTaken, InvalidCredentials, InvalidToken, TokenReused
from accounts.models import MailKind, RefreshToken
from accounts.selectors import tokens_purgeable, user_find_by_email, user_find_for_mail, user_get
from accounts.signing_keys import Rotation, keyring_loader
from accounts.tokens import ClientAccessToken, OpaqueRefreshToken, refresh_token_id
from accounts.validation import normalize_email, validate_custom_fields, validate_new_password
from core.batches import rows_delete_in_batches
from core.errors import ServiceError
from core.request_meta import RequestMeta
from crypto.hmac_keys import hmac_digest, hmac_matches
from delivery.models import Delivery
from tenants.models import AbstractTenantUser, Client
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
    return hmac_digest(REFRESH_HASH_SALT, token)


def _mint_pair(*, client: Client, user: AbstractTenantUser, family_id: uuid.UUID) -> tuple[TokenPair, RefreshToken]:
    """A signed access token, an opaque refresh token, and the (unsaved) `tokens` row of the latter."""
    access = ClientAccessToken(client_id=client.client_id)
    access["sub"] = str(user.user_id)
    access["client_id"] = str(client.client_id)
    access["email"] = user.email
    access["gen"] = user.current_token_generation
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


def _issue_pair(*, client: Client, user: AbstractTenantUser, family_id: uuid.UUID) -> TokenPair:
    pair, row = _mint_pair(client=client, user=user, family_id=family_id)
    row.save(force_insert=True)
    return pair


def token_family_revoke(*, family_id: uuid.UUID) -> int:
    return RefreshToken.objects.filter(family_id=family_id, revoked_at__isnull=True).update(revoked_at=timezone.now())


def token_families_revoke_by_staff(*, family_ids: set[uuid.UUID], request_meta: RequestMeta | None = None) -> int:
    """Staff revoke whole families (admin); each family is announced for the audit trail."""
    total = 0
    for family_id in family_ids:
        member = RefreshToken.objects.select_related("client").filter(family_id=family_id).first()
        if member is None:
            continue
        revoked = token_family_revoke(family_id=family_id)
        total += revoked
        signals.token_family_revoked.send(
            sender=RefreshToken,
            client=member.client,
            user_id=member.user_id,
            request_meta=request_meta,
            metadata={"family_id": str(family_id), "revoked": revoked, "by": "staff"},
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


def _reuse_detected(*, row: RefreshToken) -> TokenReused:
    revoked = token_family_revoke(family_id=row.family_id)
    return TokenReused(user_id=row.user_id, audit_metadata={"family_id": str(row.family_id), "revoked": revoked})


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


def token_refresh(*, client: Client, refresh_token: str, request_meta: RequestMeta | None = None) -> TokenPair:
    row = _decode_refresh(client=client, refresh_token=refresh_token)
    if row.is_spent:
        raise _reuse_detected(row=row)
    if row.is_revoked:
        raise InvalidToken("This refresh token has been revoked.")
    user = user_get(client=client, user_id=row.user_id)
    if user is None or not user.is_active:
        token_family_revoke(family_id=row.family_id)
        raise InvalidToken()
    pair, next_row = _mint_pair(client=client, user=user, family_id=row.family_id)
    if not _record_successor_and_spend(row=row, successor=next_row):
        raise _reuse_detected(row=row)
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
    model = user_model_for(client)
    user = model(email=normalize_email(email), custom_fields=custom_fields or {})
    validate_new_password(password, user=user)
    validate_custom_fields(user.custom_fields, schema=client.custom_fields_schema)
    user.password_hash = make_password(password)
    queued = _insert_user(user, then_mail=MailKind.VERIFY_EMAIL if client.require_email_verification else None, client=client)
    tokens = None
    # Announced with the sign-up (one attempt, one record), not as a separate resend.
    metadata = {"verification_required": client.require_email_verification}
    if client.require_email_verification:
        metadata["verification_queued"] = queued
    else:
        tokens = _issue_pair(client=client, user=user, family_id=uuid.uuid4())
    signals.user_signed_up.send(
        sender=model,
        client=client,
        user_id=user.user_id,
        request_meta=request_meta,
        metadata=metadata,
    )
    return SignupResult(user=user, tokens=tokens)


def _insert_user(user: AbstractTenantUser, *, then_mail: str | None, client: Client) -> bool:
    """The user's row, then its verification mail's outbox row, in one transaction where the
    store has one for both. Without (MongoDB, or users on another database) the order is what
    keeps it safe: a crash between the two writes leaves an account whose mail was never
    queued, which `email/resend` queues again; never a mail for an account that does not exist."""
    try:
        with transaction.atomic(using=router.db_for_write(Delivery)):
            user.save(force_insert=True)
            return then_mail is not None and outbox.outbound_mail_queue(client=client, user=user, kind=then_mail)
    except IntegrityError:
        raise EmailTaken() from None


def user_login(*, client: Client, email: str, password: str, request_meta: RequestMeta | None = None) -> tuple[AbstractTenantUser, TokenPair]:
    user = user_find_by_email(client=client, email=normalize_email(email))
    if user is None:
        _spend_one_password_check(password)
        raise InvalidCredentials()
    if not _password_matches(user, password):
        raise InvalidCredentials(user_id=user.user_id)
    # Only someone who knows the password learns that the account is disabled or unverified.
    if not user.is_active:
        raise AccountDisabled(user_id=user.user_id)
    if client.require_email_verification and not user.email_verified:
        raise EmailNotVerified(user_id=user.user_id)
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
        # Both ways: a reactivated user's tokens from before the deactivation stay dead.
        user.token_generation = user.current_token_generation + 1
        changed.append("is_active")
    if changed:
        also = ["token_generation"] if "is_active" in changed else []
        user.save(update_fields=[*changed, *also, "updated_at"])
    if "is_active" in changed and not user.is_active:
        user_tokens_revoke(client=client, user_id=user.user_id)
    # The new state too: an audit trail of a user switched off and on again must say which was which.
    metadata = {"fields": changed, **({"is_active": user.is_active} if "is_active" in changed else {})}
    signals.user_updated.send(sender=type(user), client=client, user_id=user.user_id, request_meta=request_meta, metadata=metadata)
    return user


def user_delete(*, client: Client, user: AbstractTenantUser, request_meta: RequestMeta | None = None) -> None:
    user_id = user.user_id
    user_tokens_revoke(client=client, user_id=user_id)
    user.delete()
    signals.user_deleted.send(sender=type(user), client=client, user_id=user_id, request_meta=request_meta, metadata={})


# --- email verification and password reset --------------------------------------------
# Tokens: accounts.email_tokens (signed, 24 h, client-bound, single use by state fingerprint).
# Requests by email (resend, forgot) answer the same whether or not the email exists, so
# these services return nothing a view could leak, and do the same work (one user lookup, one
# outbox row, one job, one audit record; accounts.outbox.outbound_mail_queue) so that the
# clock leaks nothing either. A refused token raises EmailTokenRefused,
# which carries the user and the problem for the audit record its answerer writes.


def email_verification_send(*, client: Client, email: str, request_meta: RequestMeta | None = None) -> None:
    """Queue a verification mail if `email` is an active, unverified user of this client; else a stand-in."""
    user = user_find_for_mail(client=client, email=normalize_email(email))
    queued = outbox.outbound_mail_queue(client=client, user=user, kind=MailKind.VERIFY_EMAIL)
    signals.email_verification_sent.send(
        sender=Client,
        client=client,
        user_id=user.user_id if user is not None else None,
        request_meta=request_meta,
        metadata={"mail_queued": queued},
    )


def email_verify(*, client: Client, token: str, request_meta: RequestMeta | None = None) -> AbstractTenantUser:
    user = email_token_user(client=client, token=token, purpose=Purpose.VERIFY_EMAIL)
    # The conditional update is the single use: of two concurrent uses only one flips the flag.
    flipped = type(user).objects.filter(pk=user.pk, email=user.email, email_verified=False).update(
        email_verified=True, updated_at=timezone.now()
    )
    if flipped != 1:
        raise EmailTokenRefused("used_or_stale", user_id=user.user_id)
    user.email_verified = True
    signals.email_verified.send(sender=type(user), client=client, user_id=user.user_id, request_meta=request_meta, metadata={})
    return user


def password_reset_request(*, client: Client, email: str, request_meta: RequestMeta | None = None) -> None:
    """Queue a reset mail if `email` is an active user of this client; else a stand-in."""
    user = user_find_for_mail(client=client, email=normalize_email(email))
    queued = outbox.outbound_mail_queue(client=client, user=user, kind=MailKind.PASSWORD_RESET)
    signals.password_reset_requested.send(
        sender=Client,
        client=client,
        user_id=user.user_id if user is not None else None,
        request_meta=request_meta,
        metadata={"mail_queued": queued},
    )


def password_reset_confirm(
    *, client: Client, token: str, new_password: str, request_meta: RequestMeta | None = None
) -> AbstractTenantUser:
    """Set a new password with a mailed token; the token dies with the old hash, and every session too.

    Following the link proves the mailbox is the user's, so the email counts as verified.
    """
    user = email_token_user(client=client, token=token, purpose=Purpose.RESET_PASSWORD)
    try:
        validate_new_password(new_password, user=user, field="new_password")
    except ServiceError as error:
        error.user_id, error.audit_metadata = user.user_id, {"fields": sorted(error.fields or {})}
        raise
    new_hash = make_password(new_password)
    # Conditional on the old hash: of two concurrent resets with one token only one applies.
    next_generation = user.current_token_generation + 1
    changed = type(user).objects.filter(pk=user.pk, password_hash=user.password_hash).update(
        password_hash=new_hash, email_verified=True, token_generation=next_generation, updated_at=timezone.now()
    )
    if changed != 1:
        raise EmailTokenRefused("used_or_stale", user_id=user.user_id)
    user.password_hash, user.email_verified, user.token_generation = new_hash, True, next_generation
    revoked = user_tokens_revoke(client=client, user_id=user.user_id)
    signals.password_reset_done.send(
        sender=type(user), client=client, user_id=user.user_id, request_meta=request_meta, metadata={"revoked_tokens": revoked}
    )
    return user


# --- housekeeping ----------------------------------------------------------------------------


def tokens_purge(
    *,
    revoked_before: datetime,
    batch_size: int = 1000,
    on_batch: Callable[[int, int], None] | None = None,
    request_meta: RequestMeta | None = None,
) -> int:
    """Delete `tokens` rows that are expired or were revoked before `revoked_before`, in batches.

    A live token (unexpired and unrevoked) is never among them; see `tokens_purgeable`.
    """
    rows = tokens_purgeable(now=timezone.now(), revoked_before=revoked_before)
    deleted = rows_delete_in_batches(rows=rows, batch_size=batch_size, on_batch=on_batch)
    metadata = {"revoked_before": revoked_before.isoformat(timespec="seconds"), "deleted": deleted}
    signals.tokens_purged.send(sender=RefreshToken, client=None, user_id=None, request_meta=request_meta, metadata=metadata)
    return deleted


# --- email normalisation of existing rows -------------------------------------------------


@dataclass(frozen=True)
class EmailNormalisation:
    changed: int
    collisions: list[tuple[str, str]]  # (email kept as it was, the account already holding its canonical form)


def user_emails_normalize(*, client: Client, dry_run: bool = False, request_meta: RequestMeta | None = None) -> EmailNormalisation:
    """Rewrite a client's stored emails in their canonical spelling (accounts.validation.canonical_email).

    Rows written before canonicalisation may hold `u@xn--bcher-kva.example` or mixed-case
    spellings. Two rows that turn out to be one address are never merged: the second is left
    as it is and reported, for staff to decide which account the person keeps.
    """
    model = user_model_for(client)
    changed, collisions = 0, []
    for user in model.objects.order_by("created_at", "user_id").only("user_id", "email"):
        canonical = normalize_email(user.email)
        if canonical == user.email:
            continue
        holder = model.objects.filter(email=canonical).exclude(pk=user.pk).only("email").first()
        if holder is not None:
            collisions.append((user.email, holder.email))
            continue
        changed += 1
        if not dry_run:
            model.objects.filter(pk=user.pk, email=user.email).update(email=canonical)
    if changed and not dry_run:
        metadata = {"changed": changed, "collisions": len(collisions)}  # never the addresses
        signals.user_emails_normalized.send(sender=model, client=client, user_id=None, request_meta=request_meta, metadata=metadata)
    return EmailNormalisation(changed=changed, collisions=collisions)


# --- signing keys -------------------------------------------------------------------------


def signing_key_rotate(*, keep: int, at_once: bool = False, request_meta: RequestMeta | None = None) -> Rotation:
    """Add a signing key (staged unless `at_once`; see accounts.signing_keys.rotated), and announce it.

    The record names the new key and those dropped by their kid, which the JWKS publishes anyway.
    """
    rotation = keyring_loader.rotate(keep=keep, at_once=at_once)
    metadata = {
        "kid": rotation.new_key.kid,
        "signs_from": rotation.new_key.signs_from.isoformat(timespec="seconds") if rotation.new_key.signs_from else None,
        "dropped": [key.kid for key in rotation.dropped],
        "at_once": at_once,
    }
    signals.signing_key_rotated.send(sender=Rotation, client=None, user_id=None, request_meta=request_meta, metadata=metadata)
    return rotation
