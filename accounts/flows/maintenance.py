"""Housekeeping of the accounts data, run by staff commands: token purge, email normalisation,
signing-key rotation. Each announces what it changed, with the operator's actor on its request meta."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from accounts.events import SigningKeyRotated, TokensPurged, UserEmailsNormalized
from accounts.selectors import mfa_challenges_purgeable, passkey_challenges_purgeable, tokens_purgeable
from accounts.signing_keys import Rotation, keyring_loader
from accounts.validation import normalize_email
from core.batches import rows_delete_in_batches
from core.events import publish
from core.request_meta import RequestMeta
from tenants.models import Client
from tenants.user_models import user_model_for


def tokens_purge(
    *,
    revoked_before: datetime,
    batch_size: int = 1000,
    on_batch: Callable[[int, int], None] | None = None,
    request_meta: RequestMeta | None = None,
) -> int:
    """Delete `tokens` rows that are expired or were revoked before `revoked_before`, in batches, and the rows
    of expired mfa_tokens and passkey challenges (`mfa_challenges`, `passkey_challenges`, useless once expired).

    A live token (unexpired and unrevoked) is never among them; see `tokens_purgeable`.
    """
    now = timezone.now()
    rows = tokens_purgeable(now=now, revoked_before=revoked_before)
    deleted = rows_delete_in_batches(rows=rows, batch_size=batch_size, on_batch=on_batch)
    challenges = rows_delete_in_batches(rows=mfa_challenges_purgeable(now=now), batch_size=batch_size)
    passkey_challenges = rows_delete_in_batches(rows=passkey_challenges_purgeable(now=now), batch_size=batch_size)
    publish(
        TokensPurged(
            revoked_before=revoked_before.isoformat(timespec="seconds"), deleted=deleted, mfa_challenges=challenges,
            passkey_challenges=passkey_challenges, request_meta=request_meta,
        )
    )
    return deleted


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
    if changed and not dry_run:  # how many, never the addresses
        publish(UserEmailsNormalized(client_id=client.client_id, changed=changed, collisions=len(collisions), request_meta=request_meta))
    return EmailNormalisation(changed=changed, collisions=collisions)


def signing_key_rotate(*, keep: int, at_once: bool = False, request_meta: RequestMeta | None = None) -> Rotation:
    """Add a signing key (staged unless `at_once`; see accounts.signing_keys.rotated), and announce it.

    The event names the new key and those dropped by their kid, which the JWKS publishes anyway.
    """
    rotation = keyring_loader.rotate(keep=keep, at_once=at_once)
    signs_from = rotation.new_key.signs_from
    publish(
        SigningKeyRotated(
            kid=rotation.new_key.kid,
            signs_from=signs_from.isoformat(timespec="seconds") if signs_from else None,
            dropped=tuple(key.kid for key in rotation.dropped),
            at_once=at_once,
            request_meta=request_meta,
        )
    )
    return rotation
