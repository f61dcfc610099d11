"""`make run` serves the API and runs a mail worker beside it: a mail queued by a request goes out."""

import json
import os
import signal
import subprocess
import time
import urllib.request

import pytest
from django.conf import settings as django_settings

from tests.authsvc.conftest import django_environment
from tests.stores import free_port

pytestmark = pytest.mark.embedded_default


def post(url: str, body: dict, headers: dict | None = None) -> dict:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json", **(headers or {})}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def wait_for(check, *, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.25)
    raise AssertionError(f"gave up waiting for {what}")


def served(base: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/healthz", timeout=2):
            return True
    except OSError:
        return False


def test_make_run_sends_a_verification_mail_through_its_own_worker(var_dir, tmp_path):
    """Register a client that verifies emails, sign a user up: the mail lands in EMAIL_URL's directory
    without any other command; stopping `make run` stops its worker too."""
    port, mails = free_port(), tmp_path / "mails"
    environment = {**django_environment(var_dir), "EMAIL_URL": f"file://{mails}", "HOME": os.environ.get("HOME", "/tmp")}
    server = subprocess.Popen(
        ["make", "run", f"PORT={port}"],
        cwd=django_settings.BASE_DIR,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: served(base), seconds=90, what="make run to serve")
        client = post(f"{base}/api/v1/clients/register", {"client_name": "Shop", "industry": "SaaS", "require_email_verification": True})
        post(
            f"{base}/api/v1/{client['client_id']}/signup",
            {"email": "ada@example.com", "password": "correct horse battery"},
            {"Authorization": f"Bearer {client['access_key']}"},
        )
        [mail] = wait_for(lambda: list(mails.glob("*.log")), seconds=60, what="the worker to send the mail")
        assert "ada@example.com" in mail.read_text()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
    assert mail_workers_of(var_dir) == []


def mail_workers_of(var_dir) -> list[int]:
    """Processes running `manage.py mail_worker` with this AUTHSVC_VAR_DIR in their environment."""
    found = []
    for entry in os.listdir("/proc"):
        try:
            command = open(f"/proc/{entry}/cmdline", "rb").read()
            environment = open(f"/proc/{entry}/environ", "rb").read()
        except OSError:
            continue
        if b"mail_worker" in command and f"AUTHSVC_VAR_DIR={var_dir}".encode() in environment.split(b"\0"):
            found.append(int(entry))
    return found
