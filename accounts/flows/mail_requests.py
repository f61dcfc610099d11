"""A mail asked for by email address (email/resend, password/forgot): one function for both.

The answer is the same whether or not the email has an account, so the function returns
nothing a view could leak, and does the same work either way (one user lookup, one outbox
row, one job, one event; accounts.outbox.outbound_mail_queue), so that the clock leaks
nothing either: when no mail is wanted, the outbox row is a stand-in.
"""

from accounts import outbox
from accounts.events import EmailVerificationRequested, PasswordResetRequested
from accounts.selectors import user_find_for_mail
from accounts.validation import normalize_email
from core.events import publish
from core.request_meta import RequestMeta
from tenants.models import Client


def mail_request(
    *,
    client: Client,
    email: str,
    kind: str,
    event: type[EmailVerificationRequested | PasswordResetRequested],
    request_meta: RequestMeta | None = None,
) -> None:
    """Queue a mail of `kind` if the outbox finds it wanted for `email`; else a stand-in. Publish `event`."""
    user = user_find_for_mail(client=client, email=normalize_email(email))
    queued = outbox.outbound_mail_queue(client=client, user=user, kind=kind)
    user_id = user.user_id if user is not None else None
    publish(event(client_id=client.client_id, user_id=user_id, request_meta=request_meta, mail_queued=queued))
