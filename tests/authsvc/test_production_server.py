"""The README's production command (gunicorn with gunicorn.conf.py) starts and serves the API."""

import time
import uuid

import pytest

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
