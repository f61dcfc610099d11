"""Who is behind a request: the end user's IP and agent (docs/api.md §2).

`X-End-User-IP` / `X-End-User-Agent` come from the client's backend and are trusted only
once its access key is valid; otherwise the peer address is used, reading
`X-Forwarded-For` only through AUTHSVC_TRUSTED_PROXIES hops.

A change made by staff in the admin, or by an operator through a `manage.py` command, also
carries its `Actor`, which audit records name (docs/api.md §9).

Rate-limit buckets (`ip_bucket`) take an IPv6 address by its /64, the block one subscriber
gets, so rotating addresses within it escapes nothing; a v4-mapped address (`::ffff:a.b.c.d`)
is the IPv4 address it maps.
"""

import ipaddress
from dataclasses import dataclass, replace

from django.conf import settings
from django.http import HttpRequest

MAX_AGENT_LENGTH = 512


IPV6_BUCKET_PREFIX = 64


STAFF, OPERATOR = "staff", "operator"
# Staff names are short (Django's username is at most 150 characters); an --actor is held to the same.
MAX_ACTOR_LENGTH = 150


@dataclass(frozen=True)
class Actor:
    """Who made a change by hand: a member of staff in the admin, or an operator running a command.

    An operator's name is what they said (--actor) or the OS user running the command: a label for
    the trail, not an authenticated identity; the admin's staff are authenticated.
    """

    kind: str  # STAFF or OPERATOR
    username: str
    via: str  # "admin" or "manage.py <command>"
    id: int | str | None = None  # the staff user's primary key; None for an operator

    def as_metadata(self) -> dict:
        return {"kind": self.kind, "id": self.id, "username": self.username, "via": self.via}


@dataclass(frozen=True)
class RequestMeta:
    ip_address: str | None
    user_agent: str
    # The address the client's backend vouched for (X-End-User-IP), if it sent one. Per-IP
    # limits count only such addresses: without it every user of that backend would share
    # the backend's own address, and one attacker could lock them all out.
    end_user_ip: str | None = None
    actor: Actor | None = None

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


def staff_request_meta(request: HttpRequest) -> RequestMeta:
    """An admin request: the staff member's address and browser, and the staff member.

    No access key vouches for it, so X-End-User-* headers are never read: a staff member cannot
    put someone else's address in the audit trail."""
    staff = request.user
    # A JSON-safe id: an integer on SQL stores, an ObjectId on MongoDB.
    staff_id = staff.pk if isinstance(staff.pk, int) else str(staff.pk)
    actor = Actor(kind=STAFF, username=staff.get_username(), via="admin", id=staff_id)
    return replace(request_meta(request, key_is_valid=False), actor=actor)


def operator_request_meta(*, actor: str, command: str) -> RequestMeta:
    """A `manage.py` command: no address or agent, the operator it names and the command."""
    return RequestMeta(ip_address=None, user_agent="", actor=Actor(kind=OPERATOR, username=actor, via=f"manage.py {command}"))


def peer_ip_bucket(request: HttpRequest) -> str | None:
    """The peer's rate-limit key (admin login lockouts count per address block, like the API)."""
    return ip_bucket(peer_ip(request))


def _printable(text: str) -> str:
    # NUL and other control characters: PostgreSQL refuses NUL in text, and an audit trail
    # is read on terminals; a header is the caller's input, kept only as printable text.
    return "".join(character for character in text if character.isprintable())
