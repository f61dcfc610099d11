"""The README's production command (gunicorn with gunicorn.conf.py) starts and serves the API."""

import http.client
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import urllib3
from django.conf import settings as django_settings

from tests.stores import create_postgres_database, free_port, with_database

ROOT = Path(__file__).resolve().parents[2]
# The command of the README's "Production" section, as written there.
PRODUCTION_COMMAND = [".venv/bin/gunicorn", "-c", "gunicorn.conf.py", "authsvc.wsgi"]


def _own_database(tmp_path: Path) -> str:
    """A database of the suite's store that only this server uses."""
    url = os.environ["DATABASE_URL"]
    if url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'production.sqlite3'}"
    if url.startswith("mongodb"):
        return with_database(url, f"authsvc_production_{uuid.uuid4().hex[:8]}")
    if url.startswith("postgres"):
        return create_postgres_database(url, f"authsvc_production_{uuid.uuid4().hex[:8]}")
    raise AssertionError(f"no scratch database for {url.split(':')[0]}")


@contextmanager
def _serving(directory: Path, **variables: str) -> Iterator[tuple[int, Path]]:
    """The production command on a free port, its own database and var dir: (port, log path)."""
    port = free_port()
    env = {
        **os.environ,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "production-like-" + uuid.uuid4().hex + uuid.uuid4().hex,
        "DATABASE_URL": _own_database(directory),
        "AUTHSVC_VAR_DIR": str(directory / "var"),
        "AUTHSVC_OPEN_REGISTRATION": "1",
        "AUTHSVC_LOG_LEVEL": "WARNING",
        **variables,
    }
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True, timeout=300)
    log_path = directory / "server.log"
    with open(log_path, "wb") as log:
        server = subprocess.Popen(PRODUCTION_COMMAND, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        _wait_healthy(port, server, log_path)
        yield port, log_path
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


@pytest.fixture
def production_server(tmp_path):
    with _serving(tmp_path) as served:
        yield served


def _wait_healthy(port: int, server: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"the production command exited with {server.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            if _request(port, "GET", "/healthz")[0] == 200:
                return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"the production command did not answer /healthz within 60 s:\n{log_path.read_text()[-3000:]}")


def _request(port: int, method: str, path: str, body: dict | None = None, key: str | None = None) -> tuple[int, dict]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    connection.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    response = connection.getresponse()
    payload = response.read()
    connection.close()
    try:
        return response.status, json.loads(payload) if payload else {}
    except ValueError:
        return response.status, {}


def test_the_production_command_serves_signup_login_and_verify(production_server):
    """gunicorn -c gunicorn.conf.py serves the API end to end: register, sign up, verify, ready."""
    port, _ = production_server
    status, client = _request(port, "POST", "/api/v1/clients/register", {"client_name": "Production", "industry": "SaaS"})
    assert status == 201, client
    base, key = f"/api/v1/{client['client_id']}/", client["access_key"]
    status, user = _request(port, "POST", base + "signup", {"email": "ada@example.com", "password": "correct horse battery"}, key)
    assert status == 201, user
    status, introspection = _request(port, "POST", base + "token/verify", {"token": user["access_token"]}, key)
    assert (status, introspection["active"]) == (200, True)
    assert _request(port, "GET", "/readyz")[0] == 200


def test_the_production_access_log_never_holds_a_query_string(production_server):
    """Mailed tokens reach the link pages in the query string; the access log keeps the path only."""
    port, log_path = production_server
    secret = "token-" + uuid.uuid4().hex
    _request(port, "GET", f"/links/{uuid.uuid4()}/verify-email?token={secret}")
    # Workers write the access log on their own; wait for the line of this request itself.
    deadline = time.monotonic() + 10
    while "/verify-email" not in log_path.read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    log = log_path.read_text()
    assert "/verify-email" in log
    assert secret not in log


# --- refused bodies and kept-alive connections ---------------------------------------------
# A refusal answered before the view reads the body leaves that body on the connection.
# Pooled HTTP clients reuse a connection whose last answer said keep-alive; if the server
# then closes it, their next request fails with "Remote end closed connection without response".

LIMIT = django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE
JSON = {"Content-Type": "application/json"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@dataclass(frozen=True)
class Refusal:
    path: str  # {client}: a registered client; {other}: a client id the key is not for
    body: bytes
    status: int
    error: str
    headers: dict[str, str] = field(default_factory=lambda: JSON)
    keyed: bool = False
    chunked: bool = False  # sent with Transfer-Encoding: chunked instead of a Content-Length
    spend_registrations: bool = False  # send registrations until the per-address limit is spent


def _json_of_size(size: int) -> bytes:
    return b'{"pad": "' + b"x" * (size - 11) + b'"}'


def _chunks(body: bytes) -> Iterator[bytes]:
    return (body[start : start + 4096] for start in range(0, len(body), 4096))


REFUSALS = {
    "413 one byte over the limit": Refusal("/api/v1/clients/register", _json_of_size(LIMIT + 1), 413, "payload_too_large"),
    "413 four times the limit": Refusal("/api/v1/clients/register", _json_of_size(4 * LIMIT), 413, "payload_too_large"),
    "401 no access key": Refusal("/api/v1/{client}/login", _json_of_size(LIMIT), 401, "unauthorized"),
    "403 another client's key": Refusal("/api/v1/{other}/login", _json_of_size(LIMIT), 403, "forbidden", keyed=True),
    "429 registrations spent": Refusal("/api/v1/clients/register", _json_of_size(LIMIT), 429, "rate_limited", spend_registrations=True),
    "400 form-encoded body": Refusal(
        "/api/v1/{client}/login", b"email=" + b"x" * (LIMIT - 6), 400, "invalid_request", headers=FORM, keyed=True
    ),
    # Django reads CONTENT_LENGTH bytes of a body, and a chunked one has none: it reads nothing.
    "400 chunked body": Refusal("/api/v1/{client}/login", _json_of_size(2 * LIMIT), 400, "invalid_request", keyed=True, chunked=True),
}


@pytest.fixture(scope="module")
def refusing_server(tmp_path_factory):
    """One production server for every refusal, with one registration per address per hour."""
    with _serving(tmp_path_factory.mktemp("refusing"), AUTHSVC_REGISTRATION_RATE="1/h") as (port, _):
        status, client = _request(port, "POST", "/api/v1/clients/register", {"client_name": "Kept Alive", "industry": "SaaS"})
        assert status == 201, client
        yield port, client


def _spend_registrations(port: int) -> None:
    for _ in range(3):
        if _request(port, "POST", "/api/v1/clients/register", {"client_name": "Spender", "industry": "SaaS"})[0] == 429:
            return
    pytest.fail("the registration limit was never reached")


def _send(connection: http.client.HTTPConnection, refusal: Refusal, client: dict) -> tuple[http.client.HTTPResponse, dict]:
    path = refusal.path.format(client=client["client_id"], other=uuid.uuid4())
    headers = dict(refusal.headers)
    if refusal.keyed:
        headers["Authorization"] = f"Bearer {client['access_key']}"
    body = _chunks(refusal.body) if refusal.chunked else refusal.body
    connection.request("POST", path, body=body, headers=headers)
    response = connection.getresponse()
    return response, json.loads(response.read())


@pytest.mark.store_independent
@pytest.mark.parametrize("refusal", REFUSALS.values(), ids=REFUSALS.keys())
def test_a_refused_body_leaves_the_next_request_on_the_connection_working(refusing_server, refusal):
    """After a refusal of an unread body, a kept-alive client's next request gets its answer."""
    port, client = refusing_server
    if refusal.spend_registrations:
        _spend_registrations(port)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        response, body = _send(connection, refusal, client)
        assert (response.status, body["error"]) == (refusal.status, refusal.error)
        # http.client, like every pooled client, sends this on the same connection unless the
        # answer said "Connection: close", in which case it opens a new one first.
        connection.request("GET", f"/api/v1/{client['client_id']}/", headers={"Authorization": f"Bearer {client['access_key']}"})
        following = connection.getresponse()
        assert (following.status, json.loads(following.read())["client_id"]) == (200, client["client_id"])
    finally:
        connection.close()


@pytest.mark.store_independent
def test_a_pooled_client_survives_a_refused_oversized_body(refusing_server):
    """A pooled client (urllib3, retries off) gets its 413s, and an answer to each next call."""
    port, client = refusing_server
    base = f"http://127.0.0.1:{port}/api/v1/"
    pool = urllib3.PoolManager(maxsize=1, retries=False)
    for _ in range(3):
        refused = pool.request("POST", base + "clients/register", body=_json_of_size(2 * LIMIT), headers=JSON)
        assert (refused.status, refused.json()["error"]) == (413, "payload_too_large")
        following = pool.request("GET", base + f"{client['client_id']}/", headers={"Authorization": f"Bearer {client['access_key']}"})
        assert following.status == 200


@pytest.mark.store_independent
def test_a_refused_small_body_keeps_the_connection_alive(refusing_server):
    """A body gunicorn can discard whole leaves the connection open: no reconnect per refusal."""
    port, client = refusing_server
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        refusal = Refusal("/api/v1/{client}/login", _json_of_size(1024), 401, "unauthorized")
        response, body = _send(connection, refusal, client)
        assert (response.status, body["error"], response.getheader("Connection")) == (401, "unauthorized", "keep-alive")
        socket_used = connection.sock
        connection.request("GET", "/healthz")
        assert connection.getresponse().status == 200
        assert connection.sock is socket_used
    finally:
        connection.close()
