"""Who is behind a request: the end user's IP and agent (docs/api.md §2).

`X-End-User-IP` / `X-End-User-Agent` come from the client's backend and are trusted only
once its access key is valid; otherwise the peer address is used, reading
`X-Forwarded-For` only through AUTHSVC_TRUSTED_PROXIES hops.

Rate-limit buckets (`ip_bucket`) take an IPv6 address by its /64, the block one subscriber
gets, so rotating addresses within it escapes nothing; a v4-mapped address (`::ffff:a.b.c.d`)
is the IPv4 address it maps.
"""

import ipaddress
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest

MAX_AGENT_LENGTH = 512


IPV6_BUCKET_PREFIX = 64


@dataclass(frozen=True)
class RequestMeta:
    ip_address: str | None
    user_agent: str
    # The address the client's backend vouched for (X-End-User-IP), if it sent one. Per-IP
    # limits count only such addresses: without it every user of that backend would share
    # the backend's own address, and one attacker could lock them all out.
    end_user_ip: str | None = None

    @property
    def end_user_ip_bucket(self) -> str | None:
        return ip_bucket(self.end_user_ip)


def _valid_ip(value: str | None) -> str | None:
    if not value:
        return None
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return str(address)


def ip_bucket(ip: str | None) -> str | None:
    """The rate-limit key of an address: itself for IPv4, its /64 network for IPv6."""
    if ip is None:
        return None
    address = ipaddress.ip_address(ip)
    if address.version == 4:
        return str(address)
    return str(ipaddress.ip_network(f"{address}/{IPV6_BUCKET_PREFIX}", strict=False))


def peer_ip(request: HttpRequest) -> str | None:
    hops = settings.AUTHSVC_TRUSTED_PROXIES
    if hops:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= hops:
            return _valid_ip(forwarded[-hops])
    return _valid_ip(request.META.get("REMOTE_ADDR"))


def request_meta(request: HttpRequest, *, key_is_valid: bool) -> RequestMeta:
    ip = None
    agent = None
    if key_is_valid:
        ip = _valid_ip(request.META.get("HTTP_X_END_USER_IP"))
        agent = request.META.get("HTTP_X_END_USER_AGENT")
    return RequestMeta(
        end_user_ip=ip,
        ip_address=ip or peer_ip(request),
        user_agent=_printable(agent or request.META.get("HTTP_USER_AGENT", ""))[:MAX_AGENT_LENGTH],
    )


def peer_ip_bucket(request: HttpRequest) -> str | None:
    """The peer's rate-limit key (admin login lockouts count per address block, like the API)."""
    return ip_bucket(peer_ip(request))


def _printable(text: str) -> str:
    # NUL and other control characters: PostgreSQL refuses NUL in text, and an audit trail
    # is read on terminals; a header is the caller's input, kept only as printable text.
    return "".join(character for character in text if character.isprintable())
