"""A second kind of delivery, registered by the test the way an app registers its own: it POSTs
its payload as JSON to a real HTTP receiver on loopback (what a webhook kind would do)."""

import http.server
import json
import threading
import urllib.request
from contextlib import ExitStack
from dataclasses import dataclass, field

import pytest

from delivery.kinds import Policy, register_kind, unregister_kind
from delivery.models import Delivery
from delivery.safe_http import DeliveryFailed, safe_post
from tests.receivers import http_receiver, network_log, self_signed_certificate

PROBE = "probe"


@dataclass
class Receiver:
    url: str
    received: list[tuple[dict, str]] = field(default_factory=list)  # (body, Idempotency-Key)
    status: int = 204  # what it answers; 503 makes every send fail


@dataclass
class Probe:
    """What the registered kind's hooks saw."""

    receiver: Receiver
    given_up: list[str] = field(default_factory=list)  # delivery ids


@pytest.fixture
def receiver():
    seen = Receiver(url="")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            if seen.status < 300:
                seen.received.append((body, self.headers["Idempotency-Key"]))
            self.send_response(seen.status)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    seen.url = f"http://127.0.0.1:{server.server_port}/hook"
    try:
        yield seen
    finally:
        server.shutdown()
        server.server_close()


def probe_send(delivery: Delivery, body: dict) -> None:
    request = urllib.request.Request(
        delivery.target,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Idempotency-Key": str(delivery.delivery_id)},
    )
    urllib.request.urlopen(request, timeout=5).close()  # a 5xx raises: a failed attempt


@pytest.fixture
def probe(receiver):
    """The kind "probe": wanted unless its payload says `cancelled`; retried after 30 s up to
    a minute; given up after an hour."""
    seen = Probe(receiver=receiver)
    register_kind(
        PROBE,
        wanted=lambda delivery: None if delivery.payload.get("cancelled") else delivery.payload,
        send=probe_send,
        on_give_up=lambda delivery: seen.given_up.append(str(delivery.delivery_id)),
        policy=lambda: Policy(retry=30, retry_max=60, max_age=3600, lease=60, sweep=60),
    )
    try:
        yield seen
    finally:
        unregister_kind(PROBE)


# --- safe_http: real receivers on loopback -------------------------------------------------


@pytest.fixture
def hook_receiver():
    """A plain HTTP receiver on 127.0.0.1 (answers 204 unless the test says otherwise)."""
    with http_receiver() as receiver:
        yield receiver


@pytest.fixture
def second_receiver():
    with http_receiver() as receiver:
        yield receiver


@pytest.fixture
def tls_receiver(tmp_path, monkeypatch):
    """Start a TLS receiver whose certificate is for `name`, trusted by this process (SSL_CERT_FILE,
    which OpenSSL reads when a connection loads the default authorities)."""
    with ExitStack() as stack:

        def start(name: str):
            certificate = self_signed_certificate(name, tmp_path)
            monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
            return stack.enter_context(http_receiver(certificate=certificate))

        yield start


@pytest.fixture
def plain_http_allowed(settings):
    """DEBUG on: http:// URLs are allowed (the loopback receivers speak plain HTTP)."""
    settings.DEBUG = True


@pytest.fixture
def network():
    """This test's name resolutions and connections, as they happen."""
    with network_log() as log:
        yield log


# --- a kind that delivers through safe_http --------------------------------------------------

HOOK = "hook"
HOOK_TIMEOUT = 0.3  # seconds per attempt: a receiver that holds its answer costs this much


def hook_send(delivery: Delivery, payload: dict) -> None:
    response = safe_post(
        delivery.target,
        body=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json", "Idempotency-Key": str(delivery.delivery_id)},
        timeout=HOOK_TIMEOUT,
        allow_private=True,
    )
    if response.status >= 300:
        raise DeliveryFailed(f"answered {response.status}")


@pytest.fixture
def hook_kind(plain_http_allowed):
    """The kind "hook", registered the way a webhook kind would be: POSTs its payload through
    safe_http to its target (loopback receivers allowed) with a short deadline."""
    register_kind(
        HOOK,
        wanted=lambda delivery: delivery.payload,
        send=hook_send,
        on_give_up=lambda delivery: None,
        policy=lambda: Policy(retry=30, retry_max=60, max_age=3600, lease=60, sweep=60),
    )
    try:
        yield HOOK
    finally:
        unregister_kind(HOOK)
