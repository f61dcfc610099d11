"""The mails we send end users, through Django's email framework: the client's own SMTP server when it
set one (tenants.smtp), else ours (EMAIL_URL picks the backend).

Each mail has a text and an HTML part rendered from `templates/accounts/email/<name>.{txt,html}`
and carries a link to one of our small pages (`accounts.link_pages`) with `?token=<token>`, or to the
client's own page for it (`verify_email_url`, `reset_password_url`) with `token=<token>` added to
that page's query. Only the outbox's workers call these (accounts.outbox): a request queues a mail,
it never sends one. A failed send raises, and the worker records and retries it.

Mail in the client's name (docs/api.md §9a): the From's display name is the client's
`mail_sender_name` (the address stays ours), its `mail_reply_to` is the Reply-To, and its
`mail_templates` replace the subject and text of the verification and reset mails. Client text is
filled by tenants.mail_templates (a fixed set of placeholders, no template engine); the HTML part
is its text escaped, paragraph by paragraph, with the link as the one anchor.
"""

from dataclasses import dataclass
from email.utils import formataddr, parseaddr
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from accounts.email_tokens import EMAIL_TOKEN_MAX_AGE, Purpose, email_token_make
from accounts.models import MailKind
from tenants.client_links import link_with_token, usable_link_url
from tenants.mail_templates import fill, pieces
from tenants.models import AbstractTenantUser, Client
from tenants.smtp import client_mail_connection

VERIFY_EMAIL_PAGE = "verify-email"
RESET_PASSWORD_PAGE = "reset-password"
LINK_URL_NAMES = {VERIFY_EMAIL_PAGE: "link-verify-email", RESET_PASSWORD_PAGE: "link-reset-password"}
# The client's setting that replaces our page; an email change's link opens the verification page,
# whose backend call (`email/verify`) takes its token too.
CLIENT_PAGE_SETTINGS = {VERIFY_EMAIL_PAGE: "verify_email_url", RESET_PASSWORD_PAGE: "reset_password_url"}
VALID_HOURS = int(EMAIL_TOKEN_MAX_AGE.total_seconds() // 3600)
CLIENT_TEXT_TEMPLATE = "client_text"


def client_page(client: Client, page: str) -> str | None:
    """The client's own page for `page`, if it set one that still passes the rules."""
    setting = CLIENT_PAGE_SETTINGS[page]
    return usable_link_url(getattr(client, setting), client_id=client.client_id, field=setting)


def link_url(*, client: Client, page: str, token: str, own_page: str | None = None) -> str:
    """The mailed link: the client's `own_page` with the token added to its query, else ours."""
    if own_page is not None:
        return link_with_token(own_page, token)
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
    override: str | None = None  # the key of Client.mail_templates that may replace its subject and text


# By MailKind; each kind's templates are accounts/email/<kind>.{txt,html}.
LINK_MAILS = {
    MailKind.VERIFY_EMAIL: LinkMail('Verify your email address for "{client_name}"', VERIFY_EMAIL_PAGE, Purpose.VERIFY_EMAIL, "verify_email"),
    MailKind.PASSWORD_RESET: LinkMail('Reset your password for "{client_name}"', RESET_PASSWORD_PAGE, Purpose.RESET_PASSWORD, "reset_password"),
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
    own_page = client_page(client, mail.page)
    link = link_url(client=client, page=mail.page, token=token, own_page=own_page)
    context = {
        "client_name": _one_line(client.client_name),
        "email": to or user.email,
        "service_host": urlsplit(settings.AUTHSVC_PUBLIC_URL).netloc,
        "link": link,
        # The host of the client's own page, when the link opens it: the footer then says so.
        "link_host": urlsplit(own_page).hostname if own_page else None,
        "valid_hours": VALID_HOURS,
    }
    subject = mail.subject.format(client_name=client.client_name)
    own = (client.mail_templates or {}).get(mail.override, {}) if mail.override else {}
    values = {"link": link, "client_name": context["client_name"], "email": context["email"], "expires_in": f"{VALID_HOURS} hours"}
    if "subject" in own:
        subject = fill(own["subject"], values)
    template = kind
    if "text" in own:
        template = CLIENT_TEXT_TEMPLATE
        context |= {"subject": _one_line(subject), "text": fill(own["text"], values), "html": client_html(own["text"], values)}
    _send(template, client=client, subject=subject, to=context["email"], context=context, message_id=message_id)


def client_html(text: str, values: dict[str, str]) -> SafeString:
    """The client's text as HTML: every piece escaped, `{link}` the one anchor, blank lines between paragraphs."""
    body = "".join(_html_piece(piece, values) if is_name else escape(piece) for piece, is_name in pieces(text))
    paragraphs, lines = [], []
    for line in [*body.split("\n"), ""]:
        if line.strip():
            lines.append(line)
        elif lines:
            paragraphs.append("<br>\n".join(lines))
            lines = []
    return mark_safe("\n".join(f"<p>{paragraph}</p>" for paragraph in paragraphs))  # noqa: S308 - every piece is escaped above


def _html_piece(name: str, values: dict[str, str]) -> str:
    if name == "link":
        return format_html('<a href="{}">{}</a>', values["link"], values["link"])
    return escape(values.get(name, f"{{{name}}}"))


def send_notice_mail(*, kind: str, client: Client, to: str, message_id: str) -> None:
    """A mail of `kind` without a link (NOTICE_MAILS) to `to`; a failed send raises."""
    context = {"client_name": _one_line(client.client_name), "email": to, "service_host": urlsplit(settings.AUTHSVC_PUBLIC_URL).netloc}
    subject = NOTICE_MAILS[kind].format(client_name=client.client_name)
    _send(kind, client=client, subject=subject, to=to, context=context, message_id=message_id)


def sender(client: Client) -> str:
    """Our From, with the client's `mail_sender_name` as its display name when it has one: formataddr
    quotes it, or encodes it per RFC 2047 when it is not ASCII; the address is always ours."""
    if not client.mail_sender_name:
        return settings.DEFAULT_FROM_EMAIL
    _, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return formataddr((_one_line(client.mail_sender_name), address))


def _send(template: str, *, client: Client, subject: str, to: str, context: dict, message_id: str) -> None:
    message = EmailMultiAlternatives(
        subject=_one_line(subject),
        body=render_to_string(f"accounts/email/{template}.txt", context),
        from_email=sender(client),
        to=[to],
        reply_to=[client.mail_reply_to] if client.mail_reply_to else None,
        headers={"Message-ID": message_id},
        # The client's own SMTP server when it has one (tenants.smtp), else ours (EMAIL_URL).
        connection=client_mail_connection(client),
    )
    message.attach_alternative(render_to_string(f"accounts/email/{template}.html", context), "text/html")
    message.send()
