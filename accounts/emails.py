"""The mails we send end users, through Django's email framework (EMAIL_URL picks the backend).

Each mail has a text and an HTML part rendered from `templates/accounts/email/<name>.{txt,html}`
and carries a link to one of our small pages (`accounts.link_pages`) with `?token=<token>`.
A mail that cannot be delivered is logged (never with its token or body) and reported as
not sent: the caller's answer must not depend on it, or it would reveal which emails exist.
"""

import logging
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from accounts.email_tokens import EMAIL_TOKEN_MAX_AGE
from tenants.models import AbstractTenantUser, Client

logger = logging.getLogger("authsvc.accounts.emails")

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


def _send(*, kind: str, subject: str, client: Client, user: AbstractTenantUser, context: dict) -> bool:
    context = {
        "client_name": _one_line(client.client_name),
        "email": user.email,
        "service_host": urlsplit(settings.AUTHSVC_PUBLIC_URL).netloc,
        **context,
    }
    message = EmailMultiAlternatives(
        subject=_one_line(subject),
        body=render_to_string(f"accounts/email/{kind}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
    )
    message.attach_alternative(render_to_string(f"accounts/email/{kind}.html", context), "text/html")
    try:
        message.send()
    except Exception as error:  # noqa: BLE001 - any transport failure; see the module docstring
        logger.error(
            "could not send %s mail for client %s user %s: %s",
            kind,
            client.client_id,
            user.user_id,
            error.__class__.__name__,
        )
        return False
    return True


def send_verification_mail(*, client: Client, user: AbstractTenantUser, token: str) -> bool:
    return _send(
        kind="verify_email",
        subject=f'Verify your email address for "{client.client_name}"',
        client=client,
        user=user,
        context={"link": link_url(client=client, page=VERIFY_EMAIL_PAGE, token=token), "valid_hours": VALID_HOURS},
    )


def send_password_reset_mail(*, client: Client, user: AbstractTenantUser, token: str) -> bool:
    return _send(
        kind="password_reset",
        subject=f'Reset your password for "{client.client_name}"',
        client=client,
        user=user,
        context={"link": link_url(client=client, page=RESET_PASSWORD_PAGE, token=token), "valid_hours": VALID_HOURS},
    )
