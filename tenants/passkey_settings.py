"""The rules of a client's passkey settings (tenants/client_settings.py's RULES holds every surface to them).

`passkey_rp_id` is the WebAuthn relying party id: the domain the client's site is on, which a
passkey is bound to for good (changing it strands every passkey made under the old one). It must be
a domain a browser accepts as one: a registrable domain or a name under one (`example.com`,
`login.example.com`), not a public suffix (`com`, `co.uk`, `github.io`, per the Public Suffix List)
nor an IP address; or `localhost` for development.

`passkey_origins` are the page origins a ceremony may come from (the browser writes the page's origin
into what the authenticator signs): at most MAX_ORIGINS, each `https://host[:port]` with no path;
`http` only for `localhost` (or anywhere while DEBUG). Unset, the one origin `https://<rp id>`. An
origin need not be under the rp id: WebAuthn's related origins (a `/.well-known/webauthn` file on the
rp id's site) let other sites use its passkeys, and the browser enforces that, not we.
"""

import ipaddress
import re
from functools import cache
from urllib.parse import urlsplit

from django.conf import settings
from publicsuffixlist import PublicSuffixList

from core.errors import InvalidRequest

MAX_RP_ID_LENGTH = 253
MAX_ORIGINS = 10
MAX_ORIGIN_LENGTH = 300
LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
LOCALHOST = "localhost"


@cache
def _public_suffixes() -> PublicSuffixList:
    return PublicSuffixList()  # the list the package ships: nothing is fetched


def _refuse(field: str, message: str):
    raise InvalidRequest(f"{field} is not accepted.", fields={field: [message]})


def _host_name(value: str) -> bool:
    labels = value.split(".")
    return len(value) <= MAX_RP_ID_LENGTH and all(LABEL.fullmatch(label) for label in labels)


def _ip_address(value: str) -> bool:
    try:
        ipaddress.ip_address(value.strip("[]"))
    except ValueError:
        return False
    return True


def passkey_rp_id_clean(value: object) -> str | None:
    """The relying party id, lower case; None or "" unsets it (passkey calls then answer 409)."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        _refuse("passkey_rp_id", "Must be a domain name (text).")
    rp_id = value.strip().lower()
    if rp_id == LOCALHOST:
        return rp_id
    if _ip_address(rp_id) or not _host_name(rp_id) or rp_id.split(".")[-1].isdigit():
        _refuse("passkey_rp_id", "Must be a domain name such as example.com (ASCII, punycode for other scripts), or localhost.")
    if _public_suffixes().privatesuffix(rp_id) is None:
        _refuse("passkey_rp_id", "Must be a domain someone can register or a name under one, not a public suffix such as com or co.uk.")
    return rp_id


def _origin_clean(value: object) -> str:
    if not isinstance(value, str) or len(value) > MAX_ORIGIN_LENGTH:
        _refuse("passkey_origins", f"Each origin must be text of at most {MAX_ORIGIN_LENGTH} characters.")
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError:
        _refuse("passkey_origins", f"{value!r} is not an origin such as https://example.com.")
    host = parts.hostname or ""
    if parts.scheme not in ("https", "http") or not host or parts.username or parts.password or parts.path not in ("", "/"):
        _refuse("passkey_origins", f"{value!r} is not an origin such as https://example.com: a scheme and a host, no path.")
    if parts.query or parts.fragment or _ip_address(host) or not (_host_name(host) or host == LOCALHOST):
        _refuse("passkey_origins", f"{value!r} is not an origin such as https://example.com: a scheme and a host, no path.")
    if parts.scheme == "http" and host != LOCALHOST and not settings.DEBUG:
        _refuse("passkey_origins", f"{value!r}: browsers make passkeys on https pages only (http only for localhost).")
    default_port = {"https": 443, "http": 80}[parts.scheme]  # a browser leaves it out of the origin
    return f"{parts.scheme}://{host}" + (f":{port}" if port not in (None, default_port) else "")


def passkey_origins_clean(value: object) -> list[str] | None:
    """The allowed origins, each as a browser writes it (lower case, no trailing slash); None or [] unsets them."""
    if value is None or value == []:
        return None
    if not isinstance(value, list) or len(value) > MAX_ORIGINS:
        _refuse("passkey_origins", f"Must be a list of at most {MAX_ORIGINS} origins such as https://example.com.")
    return list(dict.fromkeys(_origin_clean(origin) for origin in value))
