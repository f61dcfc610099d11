"""The README's production command (gunicorn with gunicorn.conf.py) starts and serves the API."""

import http.client
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

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


@pytest.fixture
def production_server(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "production-like-" + uuid.uuid4().hex + uuid.uuid4().hex,
        "DATABASE_URL": _own_database(tmp_path),
        "AUTHSVC_VAR_DIR": str(tmp_path / "var"),
        "AUTHSVC_OPEN_REGISTRATION": "1",
        "AUTHSVC_LOG_LEVEL": "WARNING",
    }
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True, timeout=300)
    log_path = tmp_path / "server.log"
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
