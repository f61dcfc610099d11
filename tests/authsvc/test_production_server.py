"""The README's production command (gunicorn with gunicorn.conf.py) starts and serves the API."""

import http.client
import json
import time
import uuid
from dataclasses import dataclass, field

import pytest
import urllib3
from django.conf import settings as django_settings

from tests.production import production_server_running


@pytest.fixture
def production_server(tmp_path):
    with production_server_running(tmp_path) as server:
        yield server


def test_the_production_command_serves_signup_login_and_verify(production_server):
    """gunicorn -c gunicorn.conf.py serves the API end to end: register, sign up, verify, ready."""
    status, client = production_server.request("POST", "/api/v1/clients/register", {"client_name": "Production", "industry": "SaaS"})
    assert status == 201, client
    base, key = f"/api/v1/{client['client_id']}/", client["access_key"]
    status, user = production_server.request("POST", base + "signup", {"email": "ada@example.com", "password": "correct horse battery"}, key)
    assert status == 201, user
    status, introspection = production_server.request("POST", base + "token/verify", {"token": user["access_token"]}, key)
    assert (status, introspection["active"]) == (200, True)
    assert production_server.request("GET", "/readyz")[0] == 200


def test_the_production_access_log_never_holds_a_query_string(production_server):
    """Mailed tokens reach the link pages in the query string; the access log keeps the path only."""
    log_path = production_server.log_path
    secret = "token-" + uuid.uuid4().hex
    production_server.request("GET", f"/links/{uuid.uuid4()}/verify-email?token={secret}")
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


def _chunked(body: bytes) -> bytes:
    """The body in 4 KB chunks, encoded up front: one send, as a client streaming a body would have
    written it by the time the answer comes (sent chunk by chunk, a busy machine let the server
    answer and close first, and the test's own sending failed with a broken pipe)."""
    chunks = (body[start : start + 4096] for start in range(0, len(body), 4096))
    return b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for chunk in chunks) + b"0\r\n\r\n"


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
    with production_server_running(tmp_path_factory.mktemp("refusing"), AUTHSVC_REGISTRATION_RATE="1/h") as server:
        status, client = server.request("POST", "/api/v1/clients/register", {"client_name": "Kept Alive", "industry": "SaaS"})
        assert status == 201, client
        yield server, client


def _spend_registrations(server) -> None:
    for _ in range(3):
        if server.request("POST", "/api/v1/clients/register", {"client_name": "Spender", "industry": "SaaS"})[0] == 429:
            return
    pytest.fail("the registration limit was never reached")


def _send(connection: http.client.HTTPConnection, refusal: Refusal, client: dict) -> tuple[http.client.HTTPResponse, dict]:
    path = refusal.path.format(client=client["client_id"], other=uuid.uuid4())
    headers = dict(refusal.headers)
    if refusal.keyed:
        headers["Authorization"] = f"Bearer {client['access_key']}"
    if refusal.chunked:
        headers["Transfer-Encoding"] = "chunked"
    body = _chunked(refusal.body) if refusal.chunked else refusal.body
    connection.request("POST", path, body=body, headers=headers)
    response = connection.getresponse()
    return response, json.loads(response.read())


@pytest.mark.store_independent
@pytest.mark.parametrize("refusal", REFUSALS.values(), ids=REFUSALS.keys())
def test_a_refused_body_leaves_the_next_request_on_the_connection_working(refusing_server, refusal):
    """After a refusal of an unread body, a kept-alive client's next request gets its answer."""
    server, client = refusing_server
    port = server.port
    if refusal.spend_registrations:
        _spend_registrations(server)
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
    server, client = refusing_server
    port = server.port
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
    server, client = refusing_server
    port = server.port
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
