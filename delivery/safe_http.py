"""An HTTP POST to a URL a client gave us, which cannot be turned against our own network.

A webhook's URL is the client's choice: delivered naively, it would let a client make us call
our admin, a database on the private network or the cloud's metadata service (SSRF), and read
the answer back. So:

- the URL is checked when it is given (`destination_check`) and again at every attempt
  (`safe_post`), since what a name resolves to can change between the two (DNS rebinding);
- the name is resolved once per attempt by the system's resolver, which also canonicalises the
  odd spellings of an address (`2130706433`, `0177.0.0.1`, `0x7f000001`) exactly as a connection
  would; every address it gives must be public (IPv4 inside IPv6 is unwrapped and checked too),
  and the connection goes to one of those checked addresses, never through a second resolution.
  TLS still sends the name (SNI) and verifies the certificate against it; `Host` is the name;
- no redirect is followed (a 3xx is an answer like any other), at most `max_response_bytes` of
  the answer are read, and each attempt has one deadline for connect, TLS, request and answer
  together: a receiver that trickles its answer a byte at a time is cut off at the deadline.

`AUTHSVC_WEBHOOK_ALLOW_PRIVATE=1` lifts the address checks (loopback, private networks), for
tests and private installations; the form of the URL (https unless DEBUG) is checked always.
"""

import contextlib
import http.client
import ipaddress
import re
import socket
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3
from django.conf import settings
from urllib3.connection import HTTPConnection, HTTPSConnection

from delivery.errors import UnsafeDestination

__all__ = ["DeliveryFailed", "SafeResponse", "UnsafeDestination", "address_problem", "destination_check", "safe_post"]

MAX_URL_LENGTH = 2048  # the `target` column's size
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# Named although their ranges are refused anyway: these are the ones attackers aim at.
METADATA_ADDRESSES = frozenset(map(ipaddress.ip_address, ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")))
# IPv6 forms that carry an IPv4 address in their last 32 bits (the well-known NAT64 prefix and
# the deprecated IPv4-compatible form); ipaddress unwraps the mapped, 6to4 and Teredo ones.
IPV4_CARRIERS = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("::/96"))
HOST_NAME = re.compile(r"[a-z0-9_.-]+")
# How often the deadline's watchdog looks again for a socket to cut (one still connecting).
WATCHDOG_RECHECK = 0.05


class DeliveryFailed(Exception):
    """The attempt did not get an answer: no connection, a TLS failure, a timeout, a broken reply.

    Worth retrying later; `reason` says which, without the receiver's words.
    """

    code = "delivery_failed"

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class SafeResponse:
    status: int  # any status, 3xx included: redirects are not followed
    body: bytes  # at most max_response_bytes, as received (not decompressed)
    elapsed: float  # seconds, from the resolution to the last byte read


@dataclass(frozen=True)
class Destination:
    scheme: str
    host: str  # lowercased, without the brackets of an IPv6 literal
    port: int
    target: str  # what the request line names: path and query
    host_header: str


def address_problem(address: Address) -> str | None:
    """Why `address` is not a public address we may deliver to, or None when it is."""
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if isinstance(address, ipaddress.IPv6Address):
        for inner in _embedded_ipv4(address):
            if problem := address_problem(inner):
                return f"{problem} inside an IPv6 address"
        if address.is_site_local:
            return "a site-local address"
    for kind in ("loopback", "private", "link_local", "multicast", "reserved", "unspecified"):
        if getattr(address, f"is_{kind}"):
            return f"a {kind.replace('_', '-')} address"
    if not address.is_global:  # the shared 100.64/10 and the other special-purpose ranges
        return "not a globally reachable address"
    return None


def _embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    embedded = [address.ipv4_mapped, address.sixtofour, *(address.teredo or ())]
    if any(address in carrier for carrier in IPV4_CARRIERS):
        embedded.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return [inner for inner in embedded if inner is not None]


def destination_check(url: str, *, allow_private: bool | None = None) -> None:
    """Refuse (UnsafeDestination) a URL we would not deliver to now; for when a client gives one."""
    destination = _destination(url)
    try:
        _checked_addresses(destination, allow_private=_allowed(allow_private))
    except DeliveryFailed as failure:
        raise UnsafeDestination(reason=failure.reason) from None


def safe_post(
    url: str,
    *,
    body: bytes,
    headers: dict[str, str],
    timeout: float,
    allow_private: bool | None = None,
    max_response_bytes: int = 4096,
) -> SafeResponse:
    """POST `body` to `url` if it is (still) safe: UnsafeDestination if not, DeliveryFailed when
    no answer came within `timeout` seconds (everything included), else the answer, truncated."""
    started = time.monotonic()
    deadline = started + timeout
    destination = _destination(url)
    failure = DeliveryFailed("no address")
    for address in _checked_addresses(destination, allow_private=_allowed(allow_private)):
        if time.monotonic() >= deadline:
            raise DeliveryFailed("timed out")
        exchange = _Exchange(address, destination, deadline=deadline)
        try:
            status, answer = exchange.run(body=body, headers=headers, limit=max_response_bytes)
        except _Unreachable as unreachable:
            failure = DeliveryFailed(unreachable.reason)
            continue  # nothing was sent: the name's next checked address may answer
        return SafeResponse(status=status, body=answer, elapsed=time.monotonic() - started)
    raise failure


def _allowed(allow_private: bool | None) -> bool:
    return settings.AUTHSVC_WEBHOOK_ALLOW_PRIVATE if allow_private is None else allow_private


# --- the URL -------------------------------------------------------------------------------------


def _destination(url: str) -> Destination:
    """The URL's parts, if its form is one we deliver to (any address problem comes later)."""
    if not isinstance(url, str) or not url or len(url) > MAX_URL_LENGTH:
        raise UnsafeDestination(f"The URL must be at most {MAX_URL_LENGTH} characters.")
    if not url.isascii() or any(character <= " " or character == "\x7f" for character in url):
        raise UnsafeDestination("The URL must be ASCII without spaces or control characters (punycode and percent-encode).")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UnsafeDestination("The URL is malformed or its port is not in 1-65535.") from None
    schemes = ("https", "http") if settings.DEBUG else ("https",)
    if parts.scheme.lower() not in schemes:
        raise UnsafeDestination(f"The URL must be {' or '.join(schemes)}.")
    if "@" in parts.netloc:
        raise UnsafeDestination("The URL must not carry credentials (user@ or user:password@).")
    host = parts.hostname or ""
    if not _host_well_formed(host, bracketed=parts.netloc.startswith("[")) or port == 0:
        raise UnsafeDestination("The URL needs a host name or address, and a port in 1-65535 if any.")
    scheme = parts.scheme.lower()
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Destination(scheme, host, port or (443 if scheme == "https" else 80), target, parts.netloc.lower())


def _host_well_formed(host: str, *, bracketed: bool) -> bool:
    if bracketed:  # an IPv6 literal, without a zone (a zone names one of our interfaces)
        with contextlib.suppress(ValueError):
            return "%" not in host and bool(ipaddress.IPv6Address(host))
        return False
    return bool(HOST_NAME.fullmatch(host)) and not host.startswith(".") and ".." not in host


# --- the addresses -------------------------------------------------------------------------------


def _checked_addresses(destination: Destination, *, allow_private: bool) -> list[str]:
    """The addresses the host resolves to now, every one of them checked (all or nothing)."""
    name = destination.host.rstrip(".")
    if not allow_private and (name == "localhost" or name.endswith(".localhost")):
        raise UnsafeDestination(reason=f"{destination.host} is a localhost name")
    resolved = _resolve(destination)
    if not allow_private:
        for address in resolved:
            if problem := address_problem(ipaddress.ip_address(address.partition("%")[0])):
                raise UnsafeDestination(reason=f"{destination.host} resolves to {problem}")
    return resolved


def _resolve(destination: Destination) -> list[str]:
    """One resolution, by the system's resolver: literal addresses in any spelling come back canonical."""
    try:
        found = socket.getaddrinfo(destination.host, destination.port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        raise DeliveryFailed("the host does not resolve") from None
    addresses = list(dict.fromkeys(str(sockaddr[0]) for _family, _type, _proto, _name, sockaddr in found))
    if not addresses:
        raise DeliveryFailed("the host does not resolve")
    return addresses


# --- one exchange with one checked address -------------------------------------------------------


class _Unreachable(Exception):
    """No connection to this address (nothing was sent to it)."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


class _Exchange:
    """A POST over a connection to `address`, bounded by `deadline` whatever the receiver does."""

    def __init__(self, address: str, destination: Destination, *, deadline: float):
        self.deadline = deadline
        self.done = threading.Event()
        self.cut = False  # by the watchdog: what was read after it may look complete, and is not
        timeout = max(deadline - time.monotonic(), 0.001)
        if destination.scheme == "https":
            # Connected to the checked address; SNI and the certificate's check use the name.
            self.connection: HTTPConnection = HTTPSConnection(
                address, destination.port, timeout=timeout, server_hostname=destination.host, cert_reqs="CERT_REQUIRED"
            )
        else:
            self.connection = HTTPConnection(address, destination.port, timeout=timeout)
        self.destination = destination

    def run(self, *, body: bytes, headers: dict[str, str], limit: int) -> tuple[int, bytes]:
        threading.Thread(target=self._cut_at_deadline, name="safe_http deadline", daemon=True).start()
        try:
            self._connect()
            answer = self._post(body=body, headers=headers, limit=limit)
        except (OSError, http.client.HTTPException, urllib3.exceptions.HTTPError) as error:
            raise DeliveryFailed(self._why(error)) from None
        finally:
            self.done.set()
            self.connection.close()
        if self.cut:  # a cut header section reads as a short, complete one
            raise DeliveryFailed("timed out")
        return answer

    def _connect(self) -> None:
        try:
            self.connection.connect()
        except (OSError, urllib3.exceptions.HTTPError) as error:
            raise _Unreachable(self._why(error)) from None

    def _post(self, *, body: bytes, headers: dict[str, str], limit: int) -> tuple[int, bytes]:
        headers = {"User-Agent": "authsvc", **headers, "Host": self.destination.host_header, "Accept-Encoding": "identity"}
        self.connection.request("POST", self.destination.target, body=body, headers=headers, preload_content=False, decode_content=False)
        response = self.connection.getresponse()
        return response.status, response.read(limit) if limit > 0 else b""

    def _why(self, error: Exception) -> str:
        # The class only: the receiver's words stay out of our records.
        return "timed out" if time.monotonic() >= self.deadline else f"{error.__class__.__name__}"

    def _cut_at_deadline(self) -> None:
        # Socket timeouts bound each read, not their sum: at the deadline the socket is shut
        # down under whatever read is blocked (the base class's shutdown: TLS's own would
        # tear down state the blocked read still uses).
        wait = self.deadline - time.monotonic()
        while not self.done.wait(max(wait, 0.0)):
            if (sock := self.connection.sock) is not None:
                self.cut = True
                with contextlib.suppress(OSError):
                    socket.socket.shutdown(sock, socket.SHUT_RDWR)
            wait = WATCHDOG_RECHECK
