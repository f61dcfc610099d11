"""The mails we send end users, through Django's email framework: the client's own SMTP server when it
set one (tenants.smtp), else ours (EMAIL_URL picks the backend).

Each mail has a text and an HTML part rendered from `templates/accounts/email/<name>.{txt,html}`
and carries a link to one of our small pages (`accounts.link_pages`) with `?token=<token>`.
Only the outbox's workers call these (accounts.outbox): a request queues a mail, it never
sends one. A failed send raises, and the worker records and retries it.
"""

from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from accounts.email_tokens import EMAIL_TOKEN_MAX_AGE, Purpose, email_token_make
from accounts.models import MailKind
from tenants.models import AbstractTenantUser, Client
from tenants.smtp import client_mail_connection

VERIFY_EMAIL_PAGE = "verify-email"
RESET_PASSWORD_PAGE = "reset-password"
LINK_URL_NAMES = {VERIFY_EMAIL_PAGE: "link-verify-email", RESET_PASSWORD_PAGE: "link-reset-password"}
VALID_HOURS = int(EMAIL_TOKEN_MAX_AGE.total_seconds() // 3600)


def link_url(*, client: Client, page: str, token: str) -> str:
    path = reverse(LINK_URL_NAMES[page], kwargs={"client_id": client.client_id})
    return f"{settings.AUTHSVC_PUBLIC_URL}{path}?{urlencode({'token': token})}"


def _one_line(text: str) -> str:
    """Header-safe: a client name with a line break must not break (or inject) headers."""
    return " ".join(text.split())


def service_host() -> str:
    return urlsplit(settings.AUTHSVC_PUBLIC_URL).hostname or ""


@dataclass(frozen=True)
class LinkMail:
    subject: str  # formatted with the client's name
    page: str  # the link page it opens
    purpose: Purpose  # of the token in its link


# By MailKind; each kind's templates are accounts/email/<kind>.{txt,html}.
LINK_MAILS = {
    MailKind.VERIFY_EMAIL: LinkMail('Verify your email address for "{client_name}"', VERIFY_EMAIL_PAGE, Purpose.VERIFY_EMAIL),
    MailKind.PASSWORD_RESET: LinkMail('Reset your password for "{client_name}"', RESET_PASSWORD_PAGE, Purpose.RESET_PASSWORD),
    # Opens the verification page too: its token says it is a change (accounts.link_pages).
    MailKind.EMAIL_CHANGE: LinkMail('Confirm your new email address for "{client_name}"', VERIFY_EMAIL_PAGE, Purpose.CHANGE_EMAIL),
}
# Mails without a link: a notice to an address that is no longer the account's.
NOTICE_MAILS = {MailKind.EMAIL_CHANGED: 'The email address of your "{client_name}" account was changed'}


def send_link_mail(*, kind: str, client: Client, user: AbstractTenantUser, message_id: str, to: str | None = None) -> None:
    """Render and send a mail of `kind` with a link token minted now; a failed send raises.

    `to`: another address than the user's, the new one of an email change (which the token carries).
    """
    mail = LINK_MAILS[kind]
    new_email = to if mail.purpose == Purpose.CHANGE_EMAIL else None
    token = email_token_make(client=client, user=user, purpose=mail.purpose, new_email=new_email)
    context = {
        "client_name": _one_line(client.client_name),
        "email": to or user.email,
        "service_host": urlsplit(settings.AUTHSVC_PUBLIC_URL).netloc,
        "link": link_url(client=client, page=mail.page, token=token),
        "valid_hours": VALID_HOURS,
    }
    _send(kind, client=client, subject=mail.subject.format(client_name=client.client_name), to=to or user.email, context=context, message_id=message_id)


def send_notice_mail(*, kind: str, client: Client, to: str, message_id: str) -> None:
    """A mail of `kind` without a link (NOTICE_MAILS) to `to`; a failed send raises."""
    context = {"client_name": _one_line(client.client_name), "email": to, "service_host": urlsplit(settings.AUTHSVC_PUBLIC_URL).netloc}
    _send(kind, client=client, subject=NOTICE_MAILS[kind].format(client_name=client.client_name), to=to, context=context, message_id=message_id)


def _send(kind: str, *, client: Client, subject: str, to: str, context: dict, message_id: str) -> None:
    message = EmailMultiAlternatives(
        subject=_one_line(subject),
        body=render_to_string(f"accounts/email/{kind}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers={"Message-ID": message_id},
        # The client's own SMTP server when it has one (tenants.smtp), else ours (EMAIL_URL).
        connection=client_mail_connection(client),
    )
    message.attach_alternative(render_to_string(f"accounts/email/{kind}.html", context), "text/html")
    message.send()
