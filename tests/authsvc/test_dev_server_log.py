"""`manage.py runserver` (what `make run` serves with) logs each request line without its query string."""

import subprocess
import sys
import urllib.error
import urllib.request

import pytest
from django.conf import settings as django_settings

from tests.authsvc.conftest import django_environment
from tests.authsvc.test_make_run import served, wait_for
from tests.stores import free_port

pytestmark = pytest.mark.embedded_default

SECRET = "mailed-token-value-0123456789"


def status_of(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_request_lines_keep_the_path_and_drop_the_query_string(var_dir, tmp_path):
    """A 200 and a 404 asked with ?token=…: both request lines are logged, path and status, the token nowhere."""
    port, log = free_port(), tmp_path / "runserver.log"
    with open(log, "w") as output:
        server = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
            cwd=django_settings.BASE_DIR,
            env=django_environment(var_dir, DJANGO_DEBUG="1"),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: served(base), seconds=60, what="runserver to serve")
        assert status_of(f"{base}/favicon.ico?token={SECRET}") == 200
        assert status_of(f"{base}/no-such-page/?token={SECRET}&next=/somewhere") == 404
        wait_for(lambda: "GET /no-such-page/" in log.read_text(), seconds=30, what="the 404's request line")
    finally:
        server.terminate()
        server.wait(timeout=30)
    logged = log.read_text()
    assert SECRET not in logged and "token=" not in logged
    assert '"GET /favicon.ico HTTP/1.1" 200' in logged
    assert '"GET /no-such-page/ HTTP/1.1" 404' in logged
