"""Password change: the client's backend sends the user's current password and a new one.

The current password is checked once (bcrypt, like a login: a wrong one is 401
`invalid_credentials`); the new one goes through the validators. On success every refresh
token of the user is revoked and the token generation bumped, as a reset does: whoever held a
session with the old password holds none now; the user's own backend logs them in again.
Refusals are published as `password.change_failed`.
"""

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from accounts.errors import InvalidCredentials
from accounts.events import PasswordChanged, PasswordChangeFailed
from accounts.flows.passwords import password_matches
from accounts.flows.tokens import user_tokens_revoke
from accounts.validation import validate_new_password
from core.events import failures_published, publish
from core.request_meta import RequestMeta
from tenants.models import AbstractTenantUser, Client


def password_change(
    *,
    client: Client,
    user: AbstractTenantUser,
    current_password: str,
    new_password: str,
    request_meta: RequestMeta | None = None,
) -> int:
    """Set `new_password` if `current_password` is the user's; answers how many refresh tokens were revoked."""
    with failures_published(PasswordChangeFailed, client_id=client.client_id, request_meta=request_meta):
        if not password_matches(user, current_password):
            raise InvalidCredentials("The current password is wrong.", user_id=user.user_id)
        validate_new_password(new_password, user=user, field="new_password", user_id=user.user_id)
        _password_replace(user, new_password)
    revoked = user_tokens_revoke(client=client, user_id=user.user_id)
    publish(PasswordChanged(client_id=client.client_id, user_id=user.user_id, request_meta=request_meta, revoked_tokens=revoked))
    return revoked


def _password_replace(user: AbstractTenantUser, new_password: str) -> None:
    new_hash = make_password(new_password)
    next_generation = user.current_token_generation + 1
    # Conditional on the hash just checked: of two concurrent changes from one current password,
    # only one applies; the other's current password is no longer the user's.
    changed = type(user).objects.filter(pk=user.pk, password_hash=user.password_hash).update(
        password_hash=new_hash, token_generation=next_generation, updated_at=timezone.now()
    )
    if changed != 1:
        raise InvalidCredentials("The current password is wrong.", user_id=user.user_id)
    user.password_hash, user.token_generation = new_hash, next_generation
