"""The README's production shape, started by tests: gunicorn with gunicorn.conf.py, DEBUG off, a
database of the suite's store that only this server uses, and `manage.py mail_worker` beside it."""

import http.client
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.stores import create_postgres_database, free_port, with_database

ROOT = Path(__file__).resolve().parents[1]
# The commands of the README's "Production" section, as written there.
PRODUCTION_COMMAND = [".venv/bin/gunicorn", "-c", "gunicorn.conf.py", "authsvc.wsgi"]
MAIL_WORKER_BURST = [sys.executable, "manage.py", "mail_worker", "--burst"]


def own_database(tmp_path: Path) -> str:
    """A database of the suite's store that only this server uses."""
    url = os.environ["DATABASE_URL"]
    if url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'production.sqlite3'}"
    if url.startswith("mongodb"):
        return with_database(url, f"authsvc_production_{uuid.uuid4().hex[:8]}")
    if url.startswith("postgres"):
        return create_postgres_database(url, f"authsvc_production_{uuid.uuid4().hex[:8]}")
    raise AssertionError(f"no scratch database for {url.split(':')[0]}")


@dataclass(frozen=True)
class ProductionServer:
    port: int
    log_path: Path
    env: dict[str, str]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def request(self, method: str, path: str, body: dict | None = None, key: str | None = None) -> tuple[int, dict]:
        """One JSON call, as a client's backend makes it; any status is returned, not raised."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
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

    def mail_worker_burst(self) -> None:
        """`manage.py mail_worker --burst` with the server's environment: sends what is due, then exits."""
        subprocess.run(MAIL_WORKER_BURST, cwd=ROOT, env=self.env, check=True, timeout=120, capture_output=True)


@contextmanager
def production_server_running(
    tmp_path: Path, *, port: int | None = None, beside: ProductionServer | None = None, **variables: str
) -> Iterator[ProductionServer]:
    """Migrate a fresh database, start the production command on `port` (a free one), wait for /healthz.

    `beside` a running server: a second server process on the same database, keys and var dir
    (as a second machine behind a load balancer), which migrates nothing.
    """
    port = port or free_port()
    if beside is not None:
        shared = ("DATABASE_URL", "DJANGO_SECRET_KEY", "AUTHSVC_VAR_DIR")
        variables = {**{name: beside.env[name] for name in shared}, **variables}
    env = {
        **os.environ,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "production-like-" + uuid.uuid4().hex + uuid.uuid4().hex,
        "DATABASE_URL": variables.get("DATABASE_URL") or own_database(tmp_path),
        "AUTHSVC_VAR_DIR": str(tmp_path / "var"),
        # The address it serves: mailed links and CSRF's trusted origin are built from it.
        "AUTHSVC_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "AUTHSVC_OPEN_REGISTRATION": "1",
        "AUTHSVC_LOG_LEVEL": "WARNING",
        **variables,
    }
    if beside is None:
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True, timeout=300)
    log_path = tmp_path / "server.log"
    with open(log_path, "wb") as log:
        server = subprocess.Popen(PRODUCTION_COMMAND, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    running = ProductionServer(port=port, log_path=log_path, env=env)
    try:
        _wait_healthy(running, server)
        yield running
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


def _wait_healthy(running: ProductionServer, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"the production command exited with {server.returncode}:\n{running.log_path.read_text()[-3000:]}")
        try:
            if running.request("GET", "/healthz")[0] == 200:
                return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"the production command did not answer /healthz within 60 s:\n{running.log_path.read_text()[-3000:]}")
