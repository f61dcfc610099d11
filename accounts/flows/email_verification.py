"""Email verification: mail a link (email/resend) and verify with its token.

Tokens: accounts.email_tokens (signed, 24 h, client-bound, single use by state fingerprint).
A refused token raises EmailTokenRefused, published as `email.verify_failed` with its problem.
"""

from django.utils import timezone

from accounts.email_tokens import EmailTokenRefused, Purpose, email_token_purpose, email_token_user
from accounts.events import EmailVerificationRequested, EmailVerified, EmailVerifyFailed
from accounts.flows.email_change import email_change_confirm
from accounts.flows.mail_requests import mail_request
from accounts.models import MailKind
from core.events import failures_published, publish
from core.request_meta import RequestMeta
from tenants.models import AbstractTenantUser, Client


def email_verification_send(*, client: Client, email: str, request_meta: RequestMeta | None = None) -> None:
    """Queue a verification mail if `email` is an active, unverified user of this client; else a stand-in."""
    mail_request(
        client=client, email=email, kind=MailKind.VERIFY_EMAIL, event=EmailVerificationRequested, request_meta=request_meta
    )


# The tokens email/verify and the verification page take: a sign-up's, and an email change's
# (mailed to the new address; using it switches the address, verified).
VERIFY_PURPOSES = (Purpose.VERIFY_EMAIL, Purpose.CHANGE_EMAIL)


def email_token_check(*, client: Client, token: str) -> AbstractTenantUser:
    """The user a verification or email-change token is for, while usable; raises EmailTokenRefused."""
    if email_token_purpose(client=client, token=token, purposes=VERIFY_PURPOSES) == Purpose.CHANGE_EMAIL:
        return email_token_user(client=client, token=token, purpose=Purpose.CHANGE_EMAIL)
    return email_token_user(client=client, token=token, purpose=Purpose.VERIFY_EMAIL)


def email_verify(*, client: Client, token: str, request_meta: RequestMeta | None = None) -> AbstractTenantUser:
    with failures_published(EmailVerifyFailed, client_id=client.client_id, request_meta=request_meta):
        if email_token_purpose(client=client, token=token, purposes=VERIFY_PURPOSES) == Purpose.CHANGE_EMAIL:
            return email_change_confirm(client=client, token=token, request_meta=request_meta)
        user = email_token_user(client=client, token=token, purpose=Purpose.VERIFY_EMAIL)
        # The conditional update is the single use: of two concurrent uses only one flips the flag.
        flipped = type(user).objects.filter(pk=user.pk, email=user.email, email_verified=False).update(
            email_verified=True, updated_at=timezone.now()
        )
        if flipped != 1:
            raise EmailTokenRefused("used_or_stale", user_id=user.user_id)
    user.email_verified = True
    publish(EmailVerified(client_id=client.client_id, user_id=user.user_id, request_meta=request_meta))
    return user
