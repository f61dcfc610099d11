"""The registration mode follows DJANGO_DEBUG unless the operator says otherwise, and is said at start."""

import pytest

from tests.authsvc.conftest import STRONG_KEY

pytestmark = pytest.mark.embedded_default

SHOW_MODE = "import django; django.setup(); from tenants.selectors import registration_mode; print(registration_mode())"


@pytest.mark.parametrize(
    "variables, mode",
    [
        ({"DJANGO_DEBUG": "0"}, "closed"),
        ({"DJANGO_DEBUG": "1"}, "open"),
        ({"DJANGO_DEBUG": "0", "AUTHSVC_OPEN_REGISTRATION": "1"}, "open"),
        ({"DJANGO_DEBUG": "1", "AUTHSVC_OPEN_REGISTRATION": "0"}, "closed"),
        ({"DJANGO_DEBUG": "0", "AUTHSVC_REGISTRATION_TOKEN": "t" * 32}, "token"),
        ({"DJANGO_DEBUG": "1", "AUTHSVC_REGISTRATION_TOKEN": "t" * 32}, "token"),
    ],
    ids=["production", "debug", "production opened", "debug closed", "production token", "debug token"],
)
def test_the_mode_comes_from_the_environment(run_django, variables, mode):
    """Production is closed by default; a token wins over the debug default; the flag decides otherwise."""
    result = run_django("-c", SHOW_MODE, DJANGO_SECRET_KEY=STRONG_KEY, **variables)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == mode


def test_a_token_and_an_explicit_open_flag_contradict(run_django):
    """Both set is ImproperlyConfigured at start, naming both variables."""
    result = run_django("manage.py", "check", DJANGO_SECRET_KEY=STRONG_KEY, AUTHSVC_OPEN_REGISTRATION="1", AUTHSVC_REGISTRATION_TOKEN="t" * 32)
    assert result.returncode != 0
    assert "AUTHSVC_OPEN_REGISTRATION=1 and AUTHSVC_REGISTRATION_TOKEN contradict" in result.stderr


@pytest.mark.parametrize(
    "variables, line",
    [
        ({}, "Client registration is closed"),
        ({"AUTHSVC_OPEN_REGISTRATION": "1"}, "Client registration is OPEN"),
        ({"AUTHSVC_REGISTRATION_TOKEN": "t" * 32}, "Client registration needs AUTHSVC_REGISTRATION_TOKEN"),
    ],
    ids=["closed", "open", "token"],
)
def test_the_mode_is_said_at_start(run_django, variables, line):
    """Every process logs who may register, once (open in production as a warning)."""
    result = run_django("manage.py", "check", DJANGO_SECRET_KEY=STRONG_KEY, DJANGO_DEBUG="0", AUTHSVC_LOG_LEVEL="INFO", **variables)
    assert result.returncode == 0, result.stderr
    assert result.stderr.count(line) == 1, result.stderr
