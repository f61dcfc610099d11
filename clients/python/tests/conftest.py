"""Fixtures of the SDK's tests: a live authsvc (pytest-django's live server: real HTTP on a loopback port,
with the suite's store and Redis), clients registered on it, and SDK clients that record every attempt.

This directory is outside `tests/`, so the suite's conftest does not reach it: its fixtures that must
apply here too (the SQLite file database, clean caches) are imported below.
"""

import re
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import httpx
import pyotp
import pytest

from authsvc_client import AuthsvcClient, RecoveryCodes, SignupResult
from tests.conftest import (  # noqa: F401  the suite's fixtures, for tests outside tests/
    Tenant,
    _drop_tenant_collections_after_test,
    _fresh_cache,
    _skip_contrib_rebuild_after_flush,
    django_db_modify_db_settings,
    mailoutbox,
    make_tenant,
    sealing_key,
)
from tests.stores import _wait_for_port, free_port, redis_server_binary

PASSWORD = "Correct-horse-battery-staple-9"


@dataclass
class Attempts:
    """Every request an SDK client sent and the status it got (an httpx event hook: nothing faked)."""

    sent: list[str] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    on_status: dict[int, list] = field(default_factory=dict)
    opened: list[httpx.Client] = field(default_factory=list)

    def request(self, request: httpx.Request) -> None:
        self.sent.append(f"{request.method} {request.url.path}")

    def response(self, response: httpx.Response) -> None:
        self.statuses.append(response.status_code)
        for action in self.on_status.get(response.status_code, []):
            action()

    def hooks(self) -> dict:
        return {"request": [self.request], "response": [self.response]}

    def clear(self) -> None:
        self.sent.clear()
        self.statuses.clear()

    def http(self) -> httpx.Client:
        """An httpx client whose every request and answer is recorded here."""
        client = httpx.Client(event_hooks=self.hooks(), timeout=30)
        self.opened.append(client)
        return client

    def close(self) -> None:
        for client in self.opened:
            client.close()


@pytest.fixture
def service(live_server, settings) -> str:
    """The live authsvc's URL; its public URL and issuer are that URL, so discovery points back at it."""
    settings.AUTHSVC_PUBLIC_URL = settings.AUTHSVC_ISSUER = live_server.url
    return live_server.url


@pytest.fixture
def tenant(transactional_db, service) -> Tenant:
    return make_tenant("Shop SDK")


@pytest.fixture
def other_tenant(transactional_db, service) -> Tenant:
    return make_tenant("Other SDK")


@pytest.fixture
def attempts() -> Iterator[Attempts]:
    recorder = Attempts()
    yield recorder
    recorder.close()


def sdk_for(service: str, tenant: Tenant, attempts: Attempts, **options) -> AuthsvcClient:
    return AuthsvcClient(service, tenant.client_id, tenant.access_key, http_client=attempts.http(), **options)


@pytest.fixture
def sdk(service, tenant, attempts) -> AuthsvcClient:
    return sdk_for(service, tenant, attempts)


def unique_email() -> str:
    return f"user-{uuid.uuid4().hex[:10]}@example.com"


class RedisServer:
    """A redis-server of the test's own that can really stop and start again on its port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = [redis_server_binary(), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        _wait_for_port(self.port, self.process, "redis")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    redis = RedisServer()
    redis.start()
    yield redis
    redis.stop()


def mailed_token(outbox, page: str) -> str:
    """The token of the newest mail's link to one of authsvc's pages (`verify-email`, `reset-password`)."""
    links = re.findall(rf"https?://\S+/links/[0-9a-f-]{{36}}/{page}\?\S+", outbox[-1].body)
    assert links, outbox[-1].body
    return parse_qs(urlsplit(links[0]).query)["token"][0]


# --- second factors and passkeys ----------------------------------------------------------------

# The relying party the passkey tests set on their client (passkey_rp_id, passkey_origins), and the origin
# the software authenticator (tests/authenticator.py) writes into its answers, as a browser on that page.
RP_ID, ORIGIN = "app.example.com", "https://app.example.com"


def totp_code(secret: str, steps: int = 0) -> str:
    """A code of `secret`, `steps` 30-second steps from now: the service takes one step either side of its
    clock, each step once and only later ones next, so a test uses -1, 0, +1 in turn instead of waiting."""
    return pyotp.TOTP(secret).at(time.time() + 30 * steps)


def wrong_code(secret: str) -> str:
    """Six digits that are no code of `secret` anywhere near now."""
    near = {totp_code(secret, steps) for steps in range(-2, 3)}
    return next(code for code in (f"{digit}" * 6 for digit in range(10)) if code not in near)


@dataclass
class TotpUser:
    user: SignupResult
    secret: str
    recovery_codes: RecoveryCodes


def totp_turned_on(sdk: AuthsvcClient) -> TotpUser:
    """A new user who enrolled TOTP and confirmed it with the code of the step before now (so steps 0 and
    +1 are left for logins)."""
    user = sdk.signup(unique_email(), PASSWORD)
    secret = sdk.enrol_totp(user.user_id).secret
    return TotpUser(user, secret, sdk.confirm_totp(user.user_id, totp_code(secret, -1)))


def passkeys_on(sdk: AuthsvcClient) -> None:
    sdk.update_settings(passkey_rp_id=RP_ID, passkey_origins=[ORIGIN])
