"""Password reset: mail a link (password/forgot) and set a new password with its token.

A refused token or password is published as `password.reset_failed` (the token's problem, or
the fields the new password was refused for).
"""


from accounts.email_tokens import EmailTokenRefused, Purpose, email_token_user
from accounts.events import PasswordReset, PasswordResetFailed, PasswordResetRequested
from accounts.flows.mail_requests import mail_request
from accounts.flows.passwords import password_replace
from accounts.flows.tokens import user_tokens_revoke
from accounts.lockout import login_failures_clear
from accounts.models import MailKind
from accounts.validation import validate_new_password
from core.events import failures_published, publish
from core.request_meta import RequestMeta
from tenants.models import AbstractTenantUser, Client


def password_reset_request(*, client: Client, email: str, request_meta: RequestMeta | None = None) -> None:
    """Queue a reset mail if `email` is an active user of this client; else a stand-in."""
    mail_request(client=client, email=email, kind=MailKind.PASSWORD_RESET, event=PasswordResetRequested, request_meta=request_meta)


def password_reset_confirm(
    *, client: Client, token: str, new_password: str, request_meta: RequestMeta | None = None
) -> AbstractTenantUser:
    """Set a new password with a mailed token; the token dies with the old hash, and every session too.

    Following the link proves the mailbox is the user's, so the email counts as verified.
    """
    with failures_published(PasswordResetFailed, client_id=client.client_id, request_meta=request_meta):
        user = email_token_user(client=client, token=token, purpose=Purpose.RESET_PASSWORD)
        validate_new_password(new_password, client=client, user=user, field="new_password", user_id=user.user_id)
        if not password_replace(user, new_password, email_verified=True):
            raise EmailTokenRefused("used_or_stale", user_id=user.user_id)
    revoked = user_tokens_revoke(client=client, user_id=user.user_id)
    login_failures_clear(client=client, email=user.email)  # a reset always unlocks: the mailbox is the user's
    publish(PasswordReset(client_id=client.client_id, user_id=user.user_id, request_meta=request_meta, revoked_tokens=revoked))
    return user

