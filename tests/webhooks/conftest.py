"""Fixtures of the webhooks tests: a real HTTP receiver on loopback, a client's webhook, the worker.

Receivers are plain HTTP on 127.0.0.1, which the service refuses to send to unless the operator's
switch AUTHSVC_WEBHOOK_ALLOW_PRIVATE is on, and DEBUG (http at all): every test here turns both on,
except those that check them off.
"""

import http.server
import json
import threading
from dataclasses import dataclass, field

import pytest

from delivery.models import Delivery
from tests.accounts.conftest import call
from tests.conftest import Tenant
from tests.mail import deliver_queued_mail
from tests.stores import free_port
from webhooks.subscriptions import webhook_subscriptions


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A webhook receiver of the test's own: `received` what it got; `status` what it answers;
    stop() and start() take it down (connections refused) and up again on the same port;
    `hold` (when set) keeps each request waiting until `release` is set."""

    port: int
    status: int = 204
    received: list[Received] = field(default_factory=list)
    contacted: threading.Event = field(default_factory=threading.Event)
    release: threading.Event | None = None
    server: http.server.ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def start(self) -> None:
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                receiver.contacted.set()
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if receiver.release is not None:
                    receiver.release.wait(timeout=30)
                if receiver.status < 300:
                    receiver.received.append(Received(headers={k.lower(): v for k, v in self.headers.items()}, body=body))
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def types(self) -> list[str]:
        return [item.json["type"] for item in self.received]


@pytest.fixture
def receiver():
    receiver = Receiver(port=free_port())
    receiver.start()
    try:
        yield receiver
    finally:
        if receiver.release is not None:
            receiver.release.set()
        receiver.stop()


@pytest.fixture(autouse=True)
def _sealing(sealing_key):
    """Signing secrets are stored sealed: the suite runs with DEBUG off, where no key is derived."""


@pytest.fixture(autouse=True)
def _loopback_receivers_allowed(settings):
    """The receivers are plain HTTP on loopback: the operator's switch is on (tests of it turn it
    off), and DEBUG, without which delivery.safe_http sends to https URLs only."""
    settings.AUTHSVC_WEBHOOK_ALLOW_PRIVATE = True
    settings.DEBUG = True


@pytest.fixture(autouse=True)
def _fresh_subscriptions():
    """Webhooks remembered by the subscription memory belong to rows a previous test's flush deleted."""
    webhook_subscriptions.clear()
    yield
    webhook_subscriptions.clear()


def create_webhook(tenant: Tenant, url: str, events=("user.created",), **body) -> dict:
    response = call(tenant, "webhooks", {"url": url, "events": list(events), **body})
    assert response.status_code == 201, response.content
    return response.json()


def deliver() -> None:
    """Run the delivery worker (in this process) until nothing is due."""
    deliver_queued_mail()


def make_due(**filters) -> int:
    """Bring the next attempt of pending deliveries to now (instead of waiting out the backoff)."""
    from django.utils import timezone

    return Delivery.objects.filter(kind="webhook", status="pending", **filters).update(next_attempt_at=timezone.now())
