"""Email change: asked by the client (PATCH users/<id> with `email`), made at once or after the
new address confirms it.

When the client requires verification (and does not vouch for the new address with
`email_verified: true`), the change is pending: a link goes to the NEW address, its token
carrying that address (accounts.email_tokens, Purpose.CHANGE_EMAIL; no column holds a pending
address, and a new request simply mails a new link). Following it (email/verify or the link
page) switches the address, verified. Otherwise the address switches at once, unverified unless
vouched for. Either way the switch re-checks uniqueness (409 `email_taken`) and mails a notice
to the OLD address. Tokens and sessions are left alone: the password did not change, and the
user proved nothing new (docs/api.md §3).
"""

from django.db import IntegrityError, router, transaction
from django.utils import timezone

from accounts import outbox
from accounts.email_tokens import EmailTokenRefused, email_change_token_read
from accounts.errors import EmailTaken
from accounts.events import EmailChanged
from accounts.selectors import user_find_by_email
from accounts.validation import normalize_email
from core.events import publish
from core.request_meta import RequestMeta
from tenants.models import AbstractTenantUser, Client

PENDING, APPLIED = "pending", "applied"


def email_change_ask(*, client: Client, user: AbstractTenantUser, new_email: str, vouched: bool) -> str | None:
    """Start or make the change; answers PENDING, APPLIED, or None (the address is already the user's)."""
    new_email = normalize_email(new_email)
    if new_email == user.email:
        return None
    if user_find_by_email(client=client, email=new_email) is not None:
        raise EmailTaken(user_id=user.user_id)
    if client.require_email_verification and not vouched:
        outbox.email_change_mails_queue(client=client, user=user, new_email=new_email)
        return PENDING
    _email_switch(client=client, user=user, new_email=new_email, verified=vouched)
    return APPLIED


def email_change_confirm(*, client: Client, token: str, request_meta: RequestMeta | None = None) -> AbstractTenantUser:
    """Switch to the address a CHANGE_EMAIL token carries; raises EmailTokenRefused or EmailTaken."""
    user, new_email = email_change_token_read(client=client, token=token)
    _email_switch(client=client, user=user, new_email=new_email, verified=True)
    publish(EmailChanged(client_id=client.client_id, user_id=user.user_id, request_meta=request_meta))
    return user


def _email_switch(*, client: Client, user: AbstractTenantUser, new_email: str, verified: bool) -> None:
    old_email, model = user.email, type(user)
    try:
        with transaction.atomic(using=router.db_for_write(model)):
            # Conditional on the old address: a token is used once, and not after another change.
            switched = model.objects.filter(pk=user.pk, email=old_email).update(
                email=new_email, email_verified=verified, updated_at=timezone.now()
            )
    except IntegrityError:
        raise EmailTaken(user_id=user.user_id) from None
    if switched != 1:
        raise EmailTokenRefused("used_or_stale", user_id=user.user_id)
    outbox.email_change_mails_queue(client=client, user=user, new_email=None)  # the notice, to user.email: the old one
    user.email, user.email_verified = new_email, verified
