"""Fixtures shared by the whole suite. Servers are started by `tests/stores.py`."""

import asyncio
import json
import uuid
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import connections
from rest_framework.test import APIClient

from core.events import subscribe, unsubscribe
from tenants.events import ClientRegistered
from tenants.key_cache import access_key_cache
from tenants.models import Client
from tenants.services import client_register
from tenants.user_models import users_table_name
from tests.mail import DeliveredMail
from tests.stores import STORE, scratch_dir


@dataclass
class Tenant:
    client: Client
    access_key: str

    @property
    def client_id(self) -> str:
        return str(self.client.client_id)

    @property
    def auth(self) -> dict[str, str]:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.access_key}"}

    def url(self, path: str = "") -> str:
        return f"/api/v1/{self.client_id}/{path}"


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """SQLite tests run on a database file, as the service does, not in memory.

    Django shares an in-memory test database's one connection between the live server's
    threads, where row counts and transactions mix between requests; no deployment does that,
    and no code of ours should carry a branch for it.
    """
    if STORE == "sqlite":
        settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = str(scratch_dir() / "test_authsvc.sqlite3")


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters live in the (real) cache; each test starts from zero.

    Keys remembered by the access-key cache belong to rows a previous test's flush deleted.

    ContentType's in-process cache would otherwise point at rows a previous test's flush deleted.
    """
    cache.clear()
    ContentType.objects.clear_cache()
    access_key_cache.clear()
    yield


@pytest.fixture(autouse=True)
def _drop_tenant_collections_after_test():
    """Flushes empty the central tables but not the per-client collections. On MongoDB every
    collection left behind makes the next flush slower (it lists them all), so the ones a test
    created are dropped when it ends."""
    created: list[uuid.UUID] = []

    def remember(event: ClientRegistered) -> None:
        created.append(event.client_id)

    subscribe(ClientRegistered, remember)
    yield
    unsubscribe(ClientRegistered, remember)
    if STORE == "mongodb" and created:
        database = connections[settings.AUTHSVC_TENANT_DATABASE].database
        for client_id in created:
            database.drop_collection(users_table_name(client_id))


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture
def post_json(api):
    def post(path: str, body, **extra):
        payload = body if isinstance(body, (str, bytes)) else json.dumps(body)
        return api.generic("POST", path, payload, content_type="application/json", **extra)

    return post


def make_tenant(name: str = "Acme", industry: str = "SaaS", **options) -> Tenant:
    registered = client_register(client_name=name, industry=industry, surface="test", **options)
    return Tenant(client=registered.client, access_key=registered.access_key)


@pytest.fixture
def tenant(transactional_db) -> Tenant:
    return make_tenant("Acme")


@pytest.fixture
def other_tenant(transactional_db) -> Tenant:
    return make_tenant("Globex", "E-commerce")


@pytest.fixture(scope="session", autouse=True)
def _skip_contrib_rebuild_after_flush(django_db_setup):
    """Transactional tests flush every table, and Django then rebuilds content types and
    permissions (post_migrate), which costs ~0.4 s per test on MongoDB. The test database
    was fully migrated once; superusers need no Permission rows and content types are
    created on demand, so the rebuild after each flush is skipped.
    """
    from django.contrib.auth.management import create_permissions
    from django.contrib.contenttypes.management import create_contenttypes
    from django.db.models.signals import post_migrate

    post_migrate.disconnect(create_permissions, dispatch_uid="django.contrib.auth.management.create_permissions")
    post_migrate.disconnect(create_contenttypes)
    yield


@dataclass
class LoopbackListener:
    """An HTTP server on loopback that records every request it gets (it must get none)."""

    url: str
    requests: list[str]


@pytest.fixture
def loopback_listener():
    import http.server
    import threading

    requests: list[str] = []

    class Recorder(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            requests.append(self.path)
            body = json.dumps({"type": "string", "enum": ["internal-secret-value"]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LoopbackListener(url=f"http://127.0.0.1:{server.server_port}/internal.json", requests=requests)
    finally:
        server.shutdown()
        server.server_close()


class SmtpServer:
    """A real SMTP server (aiosmtpd) on loopback. `messages` is what it received (parsed), read
    after the mail worker ran; `delay` slows every answer; stop() and start() take it down and up.

    With `credentials` (user, password) it takes mail only after AUTH with exactly those (over
    plain SMTP: loopback), and `logins` lists the user names that logged in."""

    def __init__(self, port: int, credentials: tuple[str, str] | None = None):
        self.host, self.port = "127.0.0.1", port
        self.credentials = credentials
        self.received: list = []
        self.logins: list[str] = []
        self.delay = 0.0
        self.controller = None

    @property
    def messages(self) -> DeliveredMail:
        return DeliveredMail(self.received)

    def start(self) -> None:
        from email import message_from_bytes, policy

        from aiosmtpd.controller import Controller

        server = self

        class Collect:
            async def handle_DATA(self, smtp, session, envelope):
                if server.delay:
                    await asyncio.sleep(server.delay)
                server.received.append(message_from_bytes(envelope.content, policy=policy.default))
                return "250 OK"

        self.controller = Controller(Collect(), hostname=self.host, port=self.port, **self._auth())
        self.controller.start()

    def _auth(self) -> dict:
        if self.credentials is None:
            return {}
        import logging

        from aiosmtpd.smtp import AuthResult

        # It warns at each connection that AUTH without TLS is unsafe: on loopback, in a test, it is what we want.
        logging.getLogger("mail.log").setLevel(logging.ERROR)

        def authenticate(server, session, envelope, mechanism, auth_data):
            user, password = auth_data.login.decode(), auth_data.password.decode()
            if (user, password) != self.credentials:
                return AuthResult(success=False, handled=False)
            self.logins.append(user)
            return AuthResult(success=True)

        return {"authenticator": authenticate, "auth_required": True, "auth_require_tls": False}

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp_server(settings):
    """Mail goes over SMTP to a server of the test's own on 127.0.0.1, not to Django's memory."""
    from tests.stores import free_port

    server = SmtpServer(free_port())
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = server.host, server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def mailoutbox(mailoutbox):
    """pytest-django's outbox, read after the mail worker sent what requests queued."""
    return DeliveredMail(mailoutbox)


@pytest.fixture
def sealing_key(settings) -> str:
    """A sealing key of the test's own: the suite runs with DEBUG off, where none is derived."""
    from cryptography.fernet import Fernet

    key = Fernet.generate_key().decode()
    settings.AUTHSVC_SEALING_KEYS = [key]
    return key


CLIENT_SMTP_CREDENTIALS = ("mailer@client.example", "Sm7p-pa55:w@rd/x")


@pytest.fixture
def client_smtp_server(settings, sealing_key):
    """A client's own SMTP server on 127.0.0.1, beside ours (smtp_server): it wants a login.
    Loopback is allowed for it, as the operator's switch allows private networks."""
    from tests.stores import free_port

    settings.AUTHSVC_SMTP_ALLOW_PRIVATE = True
    server = SmtpServer(free_port(), credentials=CLIENT_SMTP_CREDENTIALS)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def smtp_url_of(server: SmtpServer, scheme: str = "smtp") -> str:
    """The smtp_url a client gives for `server`, with its credentials percent-encoded."""
    from urllib.parse import quote

    if server.credentials is None:
        return f"{scheme}://{server.host}:{server.port}"
    user, password = (quote(part, safe="") for part in server.credentials)
    return f"{scheme}://{user}:{password}@{server.host}:{server.port}"
