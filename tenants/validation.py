"""Input rules of the tenants context that the API, the admin and the commands share."""

import re
import unicodedata

from core.errors import InvalidRequest

MAX_CLIENT_NAME_LENGTH = 100
# Control, format (zero-width, bidi overrides), surrogate, private-use and unassigned
# characters, and line/paragraph separators: a name is one line of visible text.
REFUSED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
DOTS = "[.\u3002\uff0e\uff61]"  # the full stops IDNA treats as the dot between labels
URL_LIKE = re.compile(
    rf"([a-z][a-z0-9+.\-]*:/)"  # a scheme: https:/, file:/
    rf"|(\bwww{DOTS})"
    rf"|([\w\-]+{DOTS}(?:[\w\-]+{DOTS})*[a-z][\w\-]{{1,}}\b)"  # a host name: evil.example, node.js, a.b.co
    rf"|@",
    re.IGNORECASE,
)


def validate_client_name(name: object) -> str:
    """The client's name, trimmed; refused (400, `fields.client_name`) unless it is plain text.

    The name is shown to strangers in the mails we send for the client, so it must not be
    able to carry a link, markup or invisible text: a client named "ACME Bank, verify at
    evil.example" would turn our sender into theirs.
    """
    if not isinstance(name, str):
        _refuse("Must be text.")
    name = " ".join(name.split())
    if not name:
        _refuse("This field may not be blank.")
    if len(name) > MAX_CLIENT_NAME_LENGTH:
        _refuse(f"Must be at most {MAX_CLIENT_NAME_LENGTH} characters.")
    if any(unicodedata.category(character) in REFUSED_CATEGORIES for character in name):
        _refuse("Must not contain control, formatting or invisible characters.")
    if "<" in name or ">" in name:
        _refuse("Must not contain < or >.")
    if URL_LIKE.search(unicodedata.normalize("NFKC", name)):
        _refuse("Must not contain a web address, a domain name or an email address.")
    return name


def _refuse(message: str):
    raise InvalidRequest("client_name is not accepted.", fields={"client_name": [message]})
