"""Real HTTP receivers on loopback for what we deliver over HTTP (webhooks), plain or TLS, as slow,
trickling, redirecting or talkative as a test needs; and a record of the names this process
resolves and the addresses it connects to (Python's audit events: the real calls, observed)."""

import contextlib
import http.server
import ipaddress
import socket
import ssl
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

# How long a held (slow, trickling) answer waits at most when the test never releases it.
HOLD_LIMIT = 30


@dataclass
class Received:
    path: str
    headers: dict[str, str]  # lowercased names
    body: bytes


@dataclass
class Receiver:
    port: int
    scheme: str = "http"
    received: list[Received] = field(default_factory=list)
    status: int = 204
    answer_headers: dict[str, str] = field(default_factory=dict)
    answer: bytes = b""
    slow: bool = False  # holds its answer until the test ends
    trickle: bool = False  # sends its answer's headers a byte at a time until the test ends
    server_names: list[str] = field(default_factory=list)  # TLS: the names clients asked for (SNI)
    released: threading.Event = field(default_factory=threading.Event)

    def url(self, path: str = "/hook", host: str = "127.0.0.1") -> str:
        return f"{self.scheme}://{host}:{self.port}{path}"


def _handler(receiver: Receiver) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def handle(self):
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                super().handle()  # the client gave up (a deadline, a cap): what the test is about

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            receiver.received.append(Received(self.path, {name.lower(): value for name, value in self.headers.items()}, body))
            if receiver.slow:
                receiver.released.wait(HOLD_LIMIT)
            if receiver.trickle:
                self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Drip: ")
                until = time.monotonic() + HOLD_LIMIT
                while not receiver.released.wait(0.05) and time.monotonic() < until:
                    self.wfile.write(b"a")
                    self.wfile.flush()
                return
            self.send_response(receiver.status)
            for name, value in {**receiver.answer_headers, "Content-Length": str(len(receiver.answer))}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(receiver.answer)

        def log_message(self, *args):
            pass

    return Handler


@contextmanager
def http_receiver(*, certificate: tuple[Path, Path] | None = None) -> Iterator[Receiver]:
    """A receiver on 127.0.0.1; with `certificate` (cert, key) it speaks TLS only."""
    receiver = Receiver(port=0)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    server.daemon_threads = True
    if certificate:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*certificate)
        context.sni_callback = lambda _sock, name, _context: receiver.server_names.append(name or "")
        server.socket = context.wrap_socket(server.socket, server_side=True)
        receiver.scheme = "https"
    receiver.port = server.server_port
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        yield receiver
    finally:
        receiver.released.set()
        server.shutdown()
        server.server_close()


def self_signed_certificate(name: str, directory: Path) -> tuple[Path, Path]:
    """A certificate for `name` that is its own authority (trust it with SSL_CERT_FILE)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / f"{name}.crt", directory / f"{name}.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return cert_path, key_path


# --- what this process resolves and connects to ------------------------------------------------


@dataclass
class NetworkLog:
    """The test's thread's name resolutions (hosts asked) and connections (addresses), in order."""

    thread: int
    resolved: list[str] = field(default_factory=list)
    connected: list[str] = field(default_factory=list)

    @property
    def names_resolved(self) -> list[str]:
        """Resolutions of names, leaving out those of literal addresses (no DNS is asked for them)."""
        return [host for host in self.resolved if not _is_address(host)]


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.partition("%")[0])
    except ValueError:
        return False
    return True


_LOGS: list[NetworkLog] = []


def _audit(event: str, args: tuple) -> None:
    if event not in ("socket.getaddrinfo", "socket.connect") or not _LOGS:
        return
    log = _LOGS[-1]
    if threading.get_ident() != log.thread:
        return
    if event == "socket.getaddrinfo":
        log.resolved.append(args[0].decode() if isinstance(args[0], bytes) else str(args[0]))
    elif isinstance(args[0], socket.socket) and args[0].family in (socket.AF_INET, socket.AF_INET6):
        log.connected.append(args[1][0])


_hook_installed = threading.Lock()
_installed: list[bool] = []


@contextmanager
def network_log() -> Iterator[NetworkLog]:
    """Record this thread's resolutions and connections (an audit hook cannot be removed: it is
    installed once and records only while a log is open)."""
    with _hook_installed:
        if not _installed:
            sys.addaudithook(_audit)
            _installed.append(True)
    log = NetworkLog(thread=threading.get_ident())
    _LOGS.append(log)
    try:
        yield log
    finally:
        _LOGS.remove(log)
