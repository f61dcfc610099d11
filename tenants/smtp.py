"""A client's own SMTP server (its write-only setting `smtp_url`): what is accepted, and the
connection its mail leaves through.

The URL holds the client's credentials. It is stored only sealed (crypto.sealed) in
`Client.smtp_url_sealed`, never shown back (the API says whether one is set and its host, the
admin its host, port and TLS), never logged, and audit records name the setting, never its value.
Refusals never quote it either.

Accepted: `smtp://` (no TLS; port 25 by default), `smtp+tls://` (STARTTLS; 587) and `smtps://`
(TLS from the first byte, RFC 8314; 465), with an optional percent-encoded user and password.
Refused: anything else, a missing host, a port outside 1-65535, a path, query or fragment,
spaces or control characters, and a host that is, or resolves to, anything but a public address
(loopback, private, link-local, cloud metadata, multicast, reserved), unless the operator set
AUTHSVC_SMTP_ALLOW_PRIVATE. The address is checked when the URL is set and again before each
connection (DNS can change in between); smtplib resolves the name once more when it connects,
so a name switched in that instant is not caught.

dj-email-url parses the parts, as it parses our EMAIL_URL, but its defaults would be wrong
here: `smtps` is STARTTLS to it (with a deprecation warning), a missing host becomes
`localhost`, `smtps` gets no default port (and Django's backend would then take our own
EMAIL_PORT), and query parameters set TLS, the timeout and even the From address. So it is
given the URL as `smtp://` without a query, and the scheme decides TLS and the default port.

The connection is Django's SMTP backend with every value given: nothing of our own EMAIL_*
settings (our relay's user and password, our client certificate) reaches a client's server.
Its timeout is our EMAIL_TIMEOUT.
"""

import ipaddress
import re
import smtplib
import socket
from dataclasses import dataclass, field
from typing import NoReturn
from urllib.parse import SplitResult, urlsplit

import dj_email_url
from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.base import BaseEmailBackend

from core.errors import InvalidRequest
from crypto.errors import SealingError
from crypto.resealing import SealedColumn
from crypto.sealed import seal, unseal
from tenants.models import Client

SETTING = "smtp_url"
MAX_URL_LENGTH = 2048
SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
PLAIN, STARTTLS, TLS = "none", "starttls", "tls"
# scheme → (TLS, default port)
SCHEMES = {"smtp": (PLAIN, 25), "smtp+tls": (STARTTLS, 587), "smtps": (TLS, 465)}
SECURITY_NAMES = {PLAIN: "no TLS", STARTTLS: "STARTTLS", TLS: "TLS"}
DNS_NAME = re.compile(r"^(?=.{1,253}\.?$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\.?$")


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    security: str  # PLAIN, STARTTLS or TLS
    username: str = ""
    password: str = field(default="", repr=False)

    @property
    def address(self) -> str:
        """host:port, IPv6 in brackets: what staff are shown."""
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


class SmtpAddressRefused(Exception):
    """At send time, the client's SMTP host resolved to an address it may not reach: the mail is retried."""


def _refuse(message: str) -> NoReturn:
    raise InvalidRequest(fields={SETTING: [message]})


def smtp_url_parse(url: object) -> SmtpServer:
    """The server `url` names; InvalidRequest (fields.smtp_url) unless it is acceptable (see above).
    Resolves no name: `smtp_url_seal` checks the address."""
    if not isinstance(url, str):
        _refuse("Must be text.")
    if len(url) > MAX_URL_LENGTH:
        _refuse(f"Must be at most {MAX_URL_LENGTH} characters.")
    if not url.isprintable() or any(character.isspace() for character in url):
        _refuse("Must not contain spaces or control characters.")
    scheme, separator, rest = url.partition("://")
    if not separator or scheme.lower() not in SCHEMES:
        _refuse("Must be an smtp:// (no TLS), smtp+tls:// (STARTTLS) or smtps:// (TLS) URL.")
    try:
        parts = urlsplit(f"smtp://{rest}")
    except ValueError:  # unbalanced brackets, an IPv6 literal that is none
        _refuse("The host must be a DNS name (in its xn-- form if it has other letters) or an IP address.")
    if parts.path not in ("", "/") or parts.query or parts.fragment or "?" in rest or "#" in rest:
        _refuse("Must have no path, query or fragment: the scheme sets TLS, this service sets the rest.")
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port is not None and not 1 <= port <= 65535:
        _refuse("The port must be a number from 1 to 65535.")
    security, default_port = SCHEMES[scheme.lower()]
    return _server(parts, security, port or default_port)


def _server(parts: SplitResult, security: str, port: int) -> SmtpServer:
    config = dj_email_url.parse(f"smtp://{parts.netloc}")  # the user and password, percent-decoded
    host = parts.hostname or ""
    if not host:
        _refuse("Must name the server's host.")
    if not (_ip_literal(host) or DNS_NAME.match(host)):
        _refuse("The host must be a DNS name (in its xn-- form if it has other letters) or an IP address.")
    username, password = config["EMAIL_HOST_USER"] or "", config["EMAIL_HOST_PASSWORD"] or ""
    if password and not username:
        _refuse("A password needs a user name: smtp://user:password@host.")
    if not (username.isprintable() and password.isprintable()):
        _refuse("The user name and password must not contain control characters, percent-encoded or not.")
    return SmtpServer(host=host, port=port, security=security, username=username, password=password)


def _ip_literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 scope (fe80::1%eth0) is link-local anyway
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def address_problem(server: SmtpServer) -> str | None:
    """Why the server's host may not be reached (it is or resolves to a non-public address, or does not
    resolve), or None; always None with AUTHSVC_SMTP_ALLOW_PRIVATE. The text names no address."""
    if settings.AUTHSVC_SMTP_ALLOW_PRIVATE:
        return None
    literal = _ip_literal(server.host)
    if literal is not None:
        addresses = [str(literal)]
    else:
        try:
            addresses = [info[4][0] for info in socket.getaddrinfo(server.host, server.port, type=socket.SOCK_STREAM)]
        except (socket.gaierror, UnicodeError):
            return "The host does not resolve."
    if not all(_is_public(address) for address in addresses):
        return "The host must be reachable on the internet: a loopback, private, link-local or reserved address is refused."
    return None


def smtp_url_seal(smtp_url: object) -> str:
    """What `Client.smtp_url_sealed` stores for `smtp_url`: "" for none (None or ""), else the URL
    sealed once it passed every check. InvalidRequest when refused; SealingUnavailable without keys."""
    if smtp_url is None or smtp_url == "":
        return ""
    server = smtp_url_parse(smtp_url)
    if problem := address_problem(server):
        _refuse(problem)
    return seal(smtp_url)


def client_smtp_server(client: Client) -> SmtpServer | None:
    """The client's own server, or None when it has none. Raises crypto's SealingError when the stored
    value cannot be unsealed (a key was dropped too soon)."""
    if not client.smtp_url_sealed:
        return None
    return smtp_url_parse(unseal(client.smtp_url_sealed))


def smtp_connection(server: SmtpServer) -> BaseEmailBackend:
    """A connection to `server` with each value given, so none falls back to our EMAIL_* settings."""
    return get_connection(
        SMTP_BACKEND,
        fail_silently=False,
        host=server.host,
        port=server.port,
        username=server.username,
        password=server.password,
        use_tls=server.security == STARTTLS,
        use_ssl=server.security == TLS,
        ssl_keyfile="",
        ssl_certfile="",
        timeout=settings.EMAIL_TIMEOUT,
    )


def smtp_test_mail(*, client: Client, to: str, connection: BaseEmailBackend | None) -> EmailMessage:
    """The mail of the admin's "send a test mail", through `connection` (None: ours)."""
    how = "its own SMTP server" if connection is not None else "this service's mail server"
    body = (
        f"This is a test mail for the client \"{' '.join(client.client_name.split())}\", sent by staff of the "
        f"authentication service through {how}.\n\nThe mails its users get (email verification, password "
        "reset, email change) leave the same way. Nothing else needs doing.\n"
    )
    return EmailMessage(
        subject="Test mail: " + " ".join(client.client_name.split()),
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        connection=connection,
    )


def client_mail_connection(client: Client) -> BaseEmailBackend | None:
    """The connection the client's mail leaves through: its own server's, or None for ours (EMAIL_URL).

    Never falls back to ours when the client has a server: a mail it wanted sent from its domain
    waits (the worker retries) rather than leaving from ours."""
    server = client_smtp_server(client)
    if server is None:
        return None
    if problem := address_problem(server):
        raise SmtpAddressRefused(problem)
    return smtp_connection(server)


# Why a send failed, for staff and the audit trail: the error's kind, never the server's reply
# (it may quote the message or the address) nor anything of the URL.
SEND_FAILURES = (
    (SealingError, "smtp_url_unreadable", "The stored SMTP URL cannot be unsealed with the configured AUTHSVC_SEALING_KEYS"),
    (SmtpAddressRefused, "smtp_address_refused", "The SMTP host now resolves to an address this service may not reach"),
    (InvalidRequest, "smtp_url_refused", "The stored SMTP URL is no longer accepted: set it again"),
    (smtplib.SMTPAuthenticationError, "smtp_login_refused", "The SMTP server refused the user name and password"),
    (
        (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError),
        "smtp_mail_refused",
        "The SMTP server refused the mail (its sender, recipient or content)",
    ),
    (smtplib.SMTPException, "smtp_error", "The SMTP server answered with an error"),
    (OSError, "smtp_unreachable", "The SMTP server could not be reached (connection refused, timed out, or TLS failed)"),
)


def send_failure(error: Exception) -> tuple[str, str] | None:
    """(reason, text for staff) of a failed send, or None for an error that is not a mail failure (a bug)."""
    for kinds, reason, text in SEND_FAILURES:
        if isinstance(error, kinds):
            code = getattr(error, "smtp_code", None)
            return reason, f"{text} (SMTP {code})." if isinstance(code, int) else f"{text}."
    return None


def smtp_url_column() -> SealedColumn:
    """Where the sealed SMTP URLs are, for `manage.py reseal_secrets` (crypto.resealing)."""
    sealed = Client.objects.exclude(smtp_url_sealed="")

    def replace(pk, old: str, new: str) -> bool:
        # An update, not a save: this field only, and only while it still holds `old`.
        return Client.objects.filter(pk=pk, smtp_url_sealed=old).update(smtp_url_sealed=new) == 1

    return SealedColumn(
        name="clients.smtp_url",
        count=lambda: sealed.count(),
        rows=lambda: sealed.order_by("pk").values_list("pk", "smtp_url_sealed").iterator(),
        replace=replace,
    )
