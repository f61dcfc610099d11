"""Password change: the client's backend sends the user's current password and a new one.

The current password is checked once (bcrypt, like a login: a wrong one is 401
`invalid_credentials`); the new one goes through the validators. On success every refresh
token of the user is revoked and the token generation bumped, as a reset does: whoever held a
session with the old password holds none now; the user's own backend logs them in again.
Refusals are published as `password.change_failed`.
"""


from accounts.errors import InvalidCredentials
from accounts.events import PasswordChanged, PasswordChangeFailed
from accounts.flows.passwords import password_matches, password_replace
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
        validate_new_password(new_password, client=client, user=user, field="new_password", user_id=user.user_id)
        if not password_replace(user, new_password):
            raise InvalidCredentials("The current password is wrong.", user_id=user.user_id)
    revoked = user_tokens_revoke(client=client, user_id=user.user_id)
    publish(PasswordChanged(client_id=client.client_id, user_id=user.user_id, request_meta=request_meta, revoked_tokens=revoked))
    return revoked

