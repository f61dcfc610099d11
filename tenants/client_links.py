"""The client's own pages for the links we mail (`verify_email_url`, `reset_password_url`).

A mailed link then opens the client's page with `token=<token>` added to its query, and the
page's backend calls `email/verify` or `password/reset` with it. The URL reaches strangers' inboxes
under our sender, so it is held to what a browser opens as written (docs/api.md §8): an absolute
http(s) URL (https only when DEBUG is off) that Django's URLValidator accepts, printable ASCII (no
space, no control character: percent-encode the rest, punycode the host), no backslash (browsers
read it as a slash), no user name or password (`https://bank.example@evil.example/`), no `token`
parameter of its own, at most MAX_LINK_URL_LENGTH characters.
"""

import logging
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from core.errors import InvalidRequest

logger = logging.getLogger("authsvc.tenants")

MAX_LINK_URL_LENGTH = 2000
TOKEN_PARAMETER = "token"


def link_url_schemes() -> tuple[str, ...]:
    """https only, unless DEBUG is on (a developer's http://localhost page)."""
    return ("http", "https") if settings.DEBUG else ("https",)


def link_url_problem(url: str) -> str | None:
    """Why `url` cannot be a client's link page, or None when it can."""
    if len(url) > MAX_LINK_URL_LENGTH:
        return f"Must be at most {MAX_LINK_URL_LENGTH} characters."
    if not url.isascii() or any(character <= " " or character == "\x7f" for character in url):
        return "Must be printable ASCII without spaces or control characters: percent-encode the rest, punycode the host."
    if "\\" in url:
        return "Must not contain a backslash."
    schemes = link_url_schemes()
    parts = urlsplit(url)
    if parts.scheme.lower() not in schemes:
        return "Must be an https URL." if schemes == ("https",) else "Must be an http or https URL."
    if "@" in parts.netloc:
        return "Must not contain a user name or password."
    try:
        URLValidator(schemes=list(schemes))(url)
    except ValidationError:
        return "Must be a valid absolute URL."
    if any(name == TOKEN_PARAMETER for name, _ in parse_qsl(parts.query, keep_blank_values=True)):
        return f"Must not have a {TOKEN_PARAMETER} parameter: the mail adds it."
    return None


def validate_link_url(url: object, *, field: str) -> str | None:
    """A link-page setting as stored: the URL, or None (unset: our own pages). Refused: 400 naming `field`."""
    if url is None or url == "":
        return None
    problem = "Must be text." if not isinstance(url, str) else link_url_problem(url)
    if problem:
        raise InvalidRequest(f"{field} is not accepted.", fields={field: [problem]})
    return url


def link_with_token(url: str, token: str) -> str:
    """`url` with `token=<token>` appended to the query it has, which is kept as written."""
    parts = urlsplit(url)
    ours = urlencode({TOKEN_PARAMETER: token})
    query = f"{parts.query.rstrip('&')}&{ours}" if parts.query.rstrip("&") else ours
    return urlunsplit(parts._replace(query=query))


def usable_link_url(url: str | None, *, client_id, field: str) -> str | None:
    """The stored page if it still passes the rules (DEBUG may have been switched off since it was
    saved), else None, so the mail links to our page instead, and the log says why."""
    if not url:
        return None
    problem = link_url_problem(url)
    if problem is None:
        return url
    logger.warning("Client %s: %s is not used (%s); the mail links to our own page. Correct it.", client_id, field, problem)
    return None
