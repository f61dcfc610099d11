"""Input rules of the tenants context that the API, the admin and the commands share."""

import ipaddress
import re
import unicodedata

from django.conf import settings
from email_validator import EmailNotValidError, validate_email

from core.errors import InvalidRequest
from core.rates import rate_problem
from tenants.models import MAX_REFRESH_REUSE_INTERVAL, Industry

MAX_CLIENT_NAME_LENGTH = 100
MAX_EMAIL_LENGTH = 254
# Every character str.splitlines() breaks a line at: none may reach a header.
LINE_BREAKS = frozenset("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")
# Control, format (zero-width, bidi overrides), surrogate, private-use and unassigned
# characters, and line/paragraph separators: a name is one line of visible text.
REFUSED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
DOTS = "[.\u3002\uff0e\uff61]"  # the full stops IDNA treats as the dot between labels
URL_LIKE = re.compile(
    rf"([a-z][a-z0-9+.\-]*:/)"  # a scheme: https:/, file:/
    rf"|(\bwww{DOTS})"
    # A host name: evil.example, node.js, a.b.co, and internationalised TLDs (bigbank.рф,
    # bigbank.xn--p1ai): a label, a dot, and a label that starts with a letter of any script.
    rf"|([\w\-]+{DOTS}(?:[\w\-]+{DOTS})*[^\W\d_][\w\-]{{1,}}\b)"
    # An IPv4 literal: four dot-separated numbers (three are a version: "Studio 1.2.3").
    rf"|((?<![0-9])[0-9]{{1,3}}(?:{DOTS}[0-9]{{1,3}}){{3}}(?![0-9]))"
    rf"|@",
    re.IGNORECASE,
)
# A run of hex digits, colons and dots that stands alone (not inside a word, so "Acme::Corp"
# is no candidate); ipaddress decides whether it is an IPv6 address ("10:30" is not).
IPV6_CANDIDATE = re.compile(r"(?<![\w.:])[0-9a-f:.]*:[0-9a-f:.]*(?![\w.:])", re.IGNORECASE)


def validate_client_name(name: object) -> str:
    """The client's name, trimmed; refused (400, `fields.client_name`) unless it is plain text.

    The name is shown to strangers in the mails we send for the client, so it must not be
    able to carry a link, markup or invisible text: a client named "ACME Bank, verify at
    evil.example" (or at bigbank.рф, or at 203.0.113.5) would turn our sender into theirs.
    The rule, with what passes and what does not, is in docs/api.md §8.
    """
    return _plain_name(name, field="client_name")


def validate_mail_sender_name(name: object) -> str | None:
    """The display name of the From of the client's mails: the rules of a client name, and no line
    break at all (refused, not folded: it goes into a header). Empty or None: unset."""
    if name is None or name == "":
        return None
    if isinstance(name, str) and any(character in LINE_BREAKS for character in name):
        _refuse("mail_sender_name", "Must be one line: no line breaks.")
    return _plain_name(name, field="mail_sender_name")


def _plain_name(name: object, *, field: str) -> str:
    if not isinstance(name, str):
        _refuse(field, "Must be text.")
    name = " ".join(name.split())
    if not name:
        _refuse(field, "This field may not be blank.")
    if len(name) > MAX_CLIENT_NAME_LENGTH:
        _refuse(field, f"Must be at most {MAX_CLIENT_NAME_LENGTH} characters.")
    if any(unicodedata.category(character) in REFUSED_CATEGORIES for character in name):
        _refuse(field, "Must not contain control, formatting or invisible characters.")
    if "<" in name or ">" in name:
        _refuse(field, "Must not contain < or >.")
    # NFKC first: fullwidth digits, dots and colons ("２０３．０．１１３．５") read as ASCII ones.
    folded = unicodedata.normalize("NFKC", name)
    if URL_LIKE.search(folded) or _has_ipv6_literal(folded):
        _refuse(field, "Must not contain a web address, a domain name, an IP address or an email address.")
    return name


def validate_mail_reply_to(address: object) -> str | None:
    """The Reply-To of the client's mails: one address, as email-validator normalises it. Empty or None: unset."""
    if address is None or address == "":
        return None
    if not isinstance(address, str):
        _refuse("mail_reply_to", "Must be text.")
    if len(address) > MAX_EMAIL_LENGTH or any(unicodedata.category(character) in REFUSED_CATEGORIES for character in address):
        _refuse("mail_reply_to", "Must be an email address.")
    try:
        return validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError as error:
        _refuse("mail_reply_to", f"Must be an email address: {error}")


def validate_industry(industry: object) -> str:
    if industry not in Industry.values:
        _refuse("industry", f"Must be one of: {', '.join(Industry.values)}.")
    return industry


def _has_ipv6_literal(text: str) -> bool:
    """A bare or bracketed IPv6 address (2001:db8::1, [::1], fe80::1%eth0) anywhere in `text`."""
    for candidate in IPV6_CANDIDATE.findall(text):
        candidate = candidate.strip(".")  # the full stop of a sentence
        if any(character not in ":." for character in candidate) and _is_ipv6(candidate):
            return True
    return False


def _is_ipv6(text: str) -> bool:
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def _refuse(field: str, message: str):
    raise InvalidRequest(f"{field} is not accepted.", fields={field: [message]})


def validate_rate_limits(overrides: object) -> dict:
    """Overrides as staff save them: known limits only, each rate one the limiter can enforce."""
    if overrides in (None, ""):
        return {}
    if not isinstance(overrides, dict):
        raise InvalidRequest(fields={"rate_limits": ["Must be an object of limit name to rate."]})
    problems = [
        f"{name}: unknown limit" if name not in settings.AUTHSVC_RATE_LIMITS else f"{name}: {problem}"
        for name, rate in overrides.items()
        if name not in settings.AUTHSVC_RATE_LIMITS or (problem := rate_problem(rate))
    ]
    if problems:
        raise InvalidRequest(fields={"rate_limits": problems})
    return overrides


def validate_refresh_reuse_interval(seconds: object) -> int:
    """Whole seconds from 0 to MAX_REFRESH_REUSE_INTERVAL; anything else (text, a bool, a fraction) is refused."""
    if isinstance(seconds, bool) or not isinstance(seconds, int) or not 0 <= seconds <= MAX_REFRESH_REUSE_INTERVAL:
        raise InvalidRequest(
            fields={"refresh_reuse_interval": [f"Must be a whole number of seconds from 0 to {MAX_REFRESH_REUSE_INTERVAL}."]}
        )
    return seconds
