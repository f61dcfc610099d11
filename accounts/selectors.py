"""Reads of the accounts context."""

import uuid
from collections.abc import Collection, Iterator
from datetime import datetime

from django.db.models import Q, QuerySet
from rest_framework_simplejwt.exceptions import TokenError

from accounts.models import MfaChallenge, PasskeyChallenge, RefreshToken
from accounts.tokens import ClientAccessToken
from core.pagination import Page, keyset_page, keyset_rows
from core.queries import one_or_none, row_and_exists_unset, row_by_unique
from tenants.models import AbstractTenantUser, Client
from tenants.user_models import user_model_for


def user_find_by_email(*, client: Client, email: str) -> AbstractTenantUser | None:
    """The user with this (canonical) email, or None; its SELECT compiled once (a login's lookup)."""
    return row_by_unique(user_model_for(client), "email", email)


# What a request by email (forgot, resend) needs to decide on a mail. The rest of a row, its
# custom_fields above all (their size is the user's), is not read: finding an account then costs
# the same whichever account it is, and little more than finding none.
MAIL_DECISION_FIELDS = ("user_id", "email", "is_active", "email_verified")


def user_find_for_mail(*, client: Client, email: str) -> AbstractTenantUser | None:
    """The user with this (canonical) email, with MAIL_DECISION_FIELDS only, or None."""
    users = user_model_for(client).objects.filter(email=email)
    return one_or_none(users.only(*MAIL_DECISION_FIELDS))


def user_get(*, client: Client, user_id: uuid.UUID | str) -> AbstractTenantUser | None:
    try:
        user_id = user_id if isinstance(user_id, uuid.UUID) else uuid.UUID(str(user_id))
    except ValueError:
        return None
    return row_by_unique(user_model_for(client), "user_id", user_id)


def user_emails(*, client_id: uuid.UUID, user_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The emails of those of `user_ids` who are still users of the client, in one query."""
    if not user_ids:
        return {}
    return dict(user_model_for(client_id).objects.filter(pk__in=list(user_ids)).values_list("user_id", "email"))


def user_list(*, client: Client, email: str | None = None, cursor: str | None = None, limit: int = 50) -> Page:
    """Users oldest first, in pages; the cursor is the last row's (created_at, user_id)."""
    users = user_model_for(client).objects.all()
    if email:
        users = users.filter(email=email)
    return keyset_page(users, time_field="created_at", id_field="user_id", cursor=cursor, limit=limit)


def access_token_decoded(*, client: Client, token: str) -> ClientAccessToken | None:
    """The claims of an access token this service signed for this client and not expired, else None."""
    try:
        access = ClientAccessToken(token, client_id=client.client_id)
    except TokenError:
        return None
    return access if access.get("client_id") == str(client.client_id) else None


def access_token_introspect(*, client: Client, token: str) -> dict | None:
    """Claims and user of a valid access token of this client and an active user, else None."""
    access = access_token_decoded(client=client, token=token)
    if access is None:
        return None
    user = _user_of_live_session(client=client, user_id=access.get("sub", ""), sid=access.get("sid"))
    if user is None or not user.is_active:
        return None
    # Tokens from before the user's last reset, deactivation or reactivation no longer count.
    if access.get("gen", 0) != user.current_token_generation:
        return None
    return {
        "user_id": user.user_id,
        "email": user.email,
        "email_verified": user.email_verified,
        "custom_fields": user.custom_fields,
        "exp": access["exp"],
        "iat": access["iat"],
        # RFC 7662's names for what the token says of itself.
        "sub": access["sub"],
        "aud": access["aud"],
        "iss": access["iss"],
        "client_id": access["client_id"],
    }


def _user_of_live_session(*, client: Client, user_id: object, sid: object) -> AbstractTenantUser | None:
    """The token's user, or None when there is none or the login (refresh-token family) the
    token was minted for is revoked; one statement on SQL stores (core.queries.row_and_exists_unset).

    Logout, reuse detection, staff revocation, a reset, a deactivation and a deletion revoke
    every row of a family; one still unrevoked row (spent ones count) says the session lives.
    Asking for a live row rather than a revoked one fails closed: a family purged from the
    table is gone too. Access tokens minted before the `sid` claim have none and pass until
    their `exp`, as they did.
    """
    if sid is None:
        return user_get(client=client, user_id=str(user_id))
    try:
        user_id, family_id = uuid.UUID(str(user_id)), uuid.UUID(str(sid))
    except ValueError:
        return None
    user, session_live = row_and_exists_unset(
        user_model_for(client), "user_id", user_id, other=RefreshToken, other_field="family_id", other_value=family_id, unset="revoked_at"
    )
    return user if session_live else None


def user_export_rows(*, client: Client, with_hashes: bool, page_size: int) -> Iterator[AbstractTenantUser]:
    """Every user of the client, oldest first, a page at a time; the hash is read only when asked for."""
    fields = ["user_id", "email", "email_verified", "is_active", "custom_fields", "created_at"]
    users = user_model_for(client).objects.only(*fields, *(["password_hash"] if with_hashes else []))
    return keyset_rows(users, time_field="created_at", id_field="user_id", page_size=page_size)


def user_search(*, client: Client, email_prefix: str = "") -> QuerySet[AbstractTenantUser]:
    """Users oldest first, narrowed to emails starting with `email_prefix` (already normalised)."""
    users = user_model_for(client).objects.order_by("created_at", "user_id")
    return users.filter(email__startswith=email_prefix) if email_prefix else users


def tokens_purgeable(*, now: datetime, revoked_before: datetime) -> QuerySet[RefreshToken]:
    """`tokens` rows no refresh can ever accept again: expired, or revoked before `revoked_before`.

    Spent (rotated) rows stay until they expire: presenting one is how reuse is detected.
    """
    return RefreshToken.objects.filter(Q(expires_at__lte=now) | Q(revoked_at__lt=revoked_before))


def mfa_challenge_of(*, client: Client, challenge_id: uuid.UUID) -> MfaChallenge | None:
    """This client's challenge with that id, or None (another client's too); its SELECT compiled once."""
    row = row_by_unique(MfaChallenge, "challenge_id", challenge_id)
    return row if row is not None and row.client_id == client.client_id else None


def mfa_challenges_purgeable(*, now: datetime) -> QuerySet[MfaChallenge]:
    """Rows of mfa_tokens that expired: no call accepts them any more."""
    return MfaChallenge.objects.filter(expires_at__lte=now)


def passkey_challenges_purgeable(*, now: datetime) -> QuerySet[PasskeyChallenge]:
    """Passkey challenges that expired: no ceremony can answer them any more."""
    return PasskeyChallenge.objects.filter(expires_at__lte=now)


def user_count(*, client: Client) -> int:
    return user_model_for(client).objects.count()

