"""Who is behind a request: the end user's IP and agent (docs/api.md §2).

`X-End-User-IP` / `X-End-User-Agent` come from the client's backend and are trusted only
once its access key is valid; otherwise the peer address is used, reading
`X-Forwarded-For` only through AUTHSVC_TRUSTED_PROXIES hops.
"""

import ipaddress
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest

MAX_AGENT_LENGTH = 512


@dataclass(frozen=True)
class RequestMeta:
    ip_address: str | None
    user_agent: str


def _valid_ip(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


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
        ip_address=ip or peer_ip(request),
        user_agent=(agent or request.META.get("HTTP_USER_AGENT", ""))[:MAX_AGENT_LENGTH],
    )
