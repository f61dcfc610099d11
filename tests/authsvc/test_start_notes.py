"""Only the serving process says who may register clients and which embedded defaults stand in
for production settings; a `manage.py` command in a second shell beside `make run` says none of it."""

import subprocess
import sys

import pytest
from django.conf import settings as django_settings

from tests.authsvc.conftest import STRONG_KEY, django_environment
from tests.authsvc.test_make_run import served, wait_for
from tests.stores import free_port

pytestmark = pytest.mark.embedded_default

REGISTRATION = "Client registration"
SECRET_KEY_NOTE = "DJANGO_SECRET_KEY is not set: using the key generated in"
REDIS_NOTE = "REDIS_URL is not set: rate limits count in the embedded Redis"
PUBLIC_URL_NOTE = "AUTHSVC_PUBLIC_URL is not set: mailed links and the iss claim use http://127.0.0.1:18433"
# What a WSGI server does first: import the application named by WSGI_APPLICATION.
LOAD_THE_APPLICATION = "import authsvc.wsgi"


@pytest.fixture
def beside_make_run(var_dir, run_django):
    """A var dir as `make run PORT=18433` leaves it: URL recorded, database migrated (DEBUG on, as make runs it)."""
    prepared = run_django("manage.py", "prepare_embedded", "--port", "18433", DJANGO_DEBUG="1")
    assert prepared.returncode == 0, prepared.stderr
    return var_dir


@pytest.mark.parametrize("command", [["check"], ["list_clients"], ["create_client", "--name", "Shop", "--industry", "SaaS"]])
def test_a_command_in_a_second_shell_says_nothing_about_registration_or_production_defaults(beside_make_run, run_django, command):
    """DEBUG off (the shell's default), no secret key, no REDIS_URL: the command does its work and logs none of the server's notes."""
    result = run_django("manage.py", *command, AUTHSVC_LOG_LEVEL="INFO")

    assert result.returncode == 0, result.stderr
    for note in (REGISTRATION, SECRET_KEY_NOTE, REDIS_NOTE, "AUTHSVC_PUBLIC_URL"):
        assert note not in result.stderr, result.stderr


@pytest.mark.parametrize(
    ("variables", "line"),
    [
        ({}, "Client registration is closed"),
        ({"AUTHSVC_OPEN_REGISTRATION": "1"}, "WARNING authsvc.settings Client registration is OPEN"),
        ({"AUTHSVC_REGISTRATION_TOKEN": "t" * 32}, "Client registration needs AUTHSVC_REGISTRATION_TOKEN"),
    ],
    ids=["closed", "open", "token"],
)
def test_loading_the_application_says_the_registration_mode_once(run_django, variables, line):
    """The process that serves logs who may register, once (open in production as a warning)."""
    result = run_django(
        "-c", LOAD_THE_APPLICATION, DJANGO_SECRET_KEY=STRONG_KEY, AUTHSVC_PUBLIC_URL="https://auth.example.com", AUTHSVC_LOG_LEVEL="INFO", **variables
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.count(line) == 1, result.stderr
    assert result.stderr.count(REGISTRATION) == 1, result.stderr


def test_in_production_the_server_warns_once_about_each_embedded_default_it_uses(beside_make_run, run_django):
    """DEBUG off with the generated key, the embedded Redis and the recorded URL: one warning each."""
    result = run_django("-c", LOAD_THE_APPLICATION, AUTHSVC_LOG_LEVEL="WARNING")

    assert result.returncode == 0, result.stderr
    for note in (SECRET_KEY_NOTE, REDIS_NOTE, PUBLIC_URL_NOTE):
        assert result.stderr.count(note) == 1, result.stderr


def test_in_development_the_server_warns_about_no_embedded_default(beside_make_run, run_django):
    """DEBUG on (`make run`): the embedded defaults are the point, not a mistake."""
    result = run_django("-c", LOAD_THE_APPLICATION, DJANGO_DEBUG="1", AUTHSVC_LOG_LEVEL="WARNING")

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


SERVERS = {
    "runserver": [sys.executable, "manage.py", "runserver", "--noreload", "127.0.0.1:{port}"],
    "gunicorn": [".venv/bin/gunicorn", "-c", "gunicorn.conf.py", "authsvc.wsgi"],
}


@pytest.mark.parametrize(("server", "debug", "line"), [("runserver", "1", "Client registration is OPEN"), ("gunicorn", "0", "Client registration is closed")])
def test_the_running_server_says_the_registration_mode_at_start(var_dir, tmp_path, server, debug, line):
    """`make run`'s runserver and the production gunicorn (one worker) each log the mode once before serving."""
    port, log = free_port(), tmp_path / "server.log"
    url = f"http://127.0.0.1:{port}"
    environment = django_environment(
        var_dir, DJANGO_DEBUG=debug, AUTHSVC_PUBLIC_URL=url, AUTHSVC_LOG_LEVEL="INFO", HOST="127.0.0.1", PORT=str(port), WEB_CONCURRENCY="1"
    )
    command = [word.format(port=port) for word in SERVERS[server]]
    with open(log, "w") as output:
        process = subprocess.Popen(command, cwd=django_settings.BASE_DIR, env=environment, stdout=output, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: served(url), seconds=60, what=f"{server} to serve")
    finally:
        process.terminate()
        process.wait(timeout=30)
    logged = log.read_text()
    assert logged.count(line) == 1, logged
    assert logged.count(REGISTRATION) == 1, logged

