"""The registration mode follows DJANGO_DEBUG unless the operator says otherwise (the server says it at
start: tests/authsvc/test_start_notes.py)."""

import pytest

from tests.authsvc.conftest import STRONG_KEY

pytestmark = pytest.mark.embedded_default

PUBLIC_URL = "https://auth.example.com"
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
    result = run_django("-c", SHOW_MODE, DJANGO_SECRET_KEY=STRONG_KEY, AUTHSVC_PUBLIC_URL=PUBLIC_URL, **variables)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == mode


def test_a_token_and_an_explicit_open_flag_contradict(run_django):
    """Both set is ImproperlyConfigured at start, naming both variables."""
    result = run_django(
        "manage.py", "check", DJANGO_SECRET_KEY=STRONG_KEY, AUTHSVC_PUBLIC_URL=PUBLIC_URL, AUTHSVC_OPEN_REGISTRATION="1", AUTHSVC_REGISTRATION_TOKEN="t" * 32
    )
    assert result.returncode != 0
    assert "AUTHSVC_OPEN_REGISTRATION=1 and AUTHSVC_REGISTRATION_TOKEN contradict" in result.stderr

