"""Brute-force protection of /admin/login/ (django-axes on Redis) and the audit records it leaves."""

import json
import os
import subprocess
import sys
import time
from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client as BrowserClient

from audit.models import AuditLog
from tests.authsvc.conftest import django_environment

pytestmark = pytest.mark.django_db(transaction=True)

LOGIN = "/admin/login/?next=/admin/"
PASSWORD = "staff-password-that-is-right-1"
WRONG = "a-wrong-guess-9"
ATTACKER_IP = "203.0.113.7"
OTHER_IP = "198.51.100.20"


@pytest.fixture
def staff_users(transactional_db):
    """Two staff members with real passwords (hashed once each)."""
    users = get_user_model().objects
    return [users.create_superuser(name, f"{name}@example.com", password=PASSWORD) for name in ("alice", "bob")]


def attempt(username: str, password: str, ip: str = ATTACKER_IP):
    """One login form post from `ip`, as a fresh browser."""
    return BrowserClient(REMOTE_ADDR=ip).post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


def logged_in(response) -> bool:
    return response.status_code == 302 and response["Location"] == "/admin/"


def fail_until_locked(username: str, ip: str = ATTACKER_IP) -> list[int]:
    return [attempt(username, WRONG, ip).status_code for _ in range(settings.AXES_FAILURE_LIMIT)]


def admin_login_rows(reason: str) -> list[AuditLog]:
    return list(AuditLog.objects.filter(action="admin_login", reason=reason).order_by("timestamp"))


def test_the_right_password_is_refused_after_five_wrong_ones_while_others_log_in(staff_users):
    """Five wrong passwords lock the name: the right one then gets the lockout page (429); bob, elsewhere, logs in."""
    assert settings.AXES_FAILURE_LIMIT == 5
    assert fail_until_locked("alice")[:4] == [200] * 4
    response = attempt("alice", PASSWORD)
    assert response.status_code == 429
    assert not logged_in(response)
    assert "Too many failed logins" in response.content.decode()
    assert "refused for 15 minutes after the last failure" in response.content.decode()
    assert logged_in(attempt("bob", PASSWORD, OTHER_IP))


def test_a_locked_name_is_refused_from_any_address(staff_users):
    """The name stays locked when the next try comes from elsewhere (a botnet guessing one password)."""
    fail_until_locked("alice")
    assert attempt("alice", PASSWORD, OTHER_IP).status_code == 429


def test_an_address_spraying_names_is_locked_for_every_name(staff_users):
    """Five failures spread over several names lock the address itself."""
    for name in ("carol", "dave", "erin", "frank", "grace"):
        attempt(name, WRONG)
    assert attempt("bob", PASSWORD).status_code == 429
    assert logged_in(attempt("bob", PASSWORD, OTHER_IP))


@pytest.mark.parametrize(
    "command, name, retry_from",
    [
        pytest.param(("axes_reset_ip_username", ATTACKER_IP, "alice"), "alice", ATTACKER_IP, id="name-and-address"),
        pytest.param(("axes_reset_username", "alice"), "alice", OTHER_IP, id="name-only"),
        pytest.param(("axes_reset_ip", ATTACKER_IP), "bob", ATTACKER_IP, id="address-only"),
    ],
)
def test_staff_reset_lets_the_right_password_in_again(staff_users, command, name, retry_from):
    """Each reset command lifts the lock it names: the right password then works where only that lock applied."""
    fail_until_locked("alice")
    assert attempt(name, PASSWORD, retry_from).status_code == 429
    call_command(*command, stdout=StringIO())
    assert logged_in(attempt(name, PASSWORD, retry_from))


def test_the_lockout_ends_by_itself_after_the_cool_off(staff_users, settings):
    """With a one-second cool-off, the right password works again once it has passed (and not before)."""
    settings.AXES_COOLOFF_TIME = timedelta(seconds=1)
    fail_until_locked("alice")
    assert attempt("alice", PASSWORD).status_code == 429
    time.sleep(2.1)
    assert logged_in(attempt("alice", PASSWORD))


def test_failed_logins_and_the_lockout_are_audited_without_the_password(staff_users):
    """Each wrong password leaves an invalid_credentials row, the lockout and each refused try a locked_out row."""
    assert logged_in(attempt("bob", PASSWORD, OTHER_IP))  # a successful login leaves no failure row
    fail_until_locked("alice")
    attempt("alice", PASSWORD)
    failures, lockouts = admin_login_rows("invalid_credentials"), admin_login_rows("locked_out")
    assert len(failures) == settings.AXES_FAILURE_LIMIT
    assert len(lockouts) == 2  # the fifth failure locks; the right password is then refused unchecked
    assert AuditLog.objects.filter(action="admin_login").count() == len(failures) + len(lockouts)
    for row in failures + lockouts:
        assert (row.status, row.ip_address, row.metadata["username"]) == ("failed", ATTACKER_IP, "alice")
        stored = json.dumps([row.reason, row.user_agent, row.metadata])
        assert WRONG not in stored and PASSWORD not in stored


@pytest.mark.parametrize(
    "variables, expected",
    [
        pytest.param({"AUTHSVC_ADMIN_LOGIN_FAILURES": "3", "AUTHSVC_ADMIN_LOCKOUT_MINUTES": "60"}, [3, 3600], id="set"),
        pytest.param({"AUTHSVC_ADMIN_LOGIN_FAILURES": "0"}, "AUTHSVC_ADMIN_LOGIN_FAILURES must be at least 1", id="zero-failures"),
    ],
)
def test_failure_limit_and_lockout_length_come_from_the_environment(tmp_path, variables, expected):
    """AUTHSVC_ADMIN_LOGIN_FAILURES and AUTHSVC_ADMIN_LOCKOUT_MINUTES set the limit and cool-off; 0 failures is refused."""
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        "print(json.dumps([settings.AXES_FAILURE_LIMIT, settings.AXES_COOLOFF_TIME.total_seconds()]))"
    )
    environment = django_environment(tmp_path / "var", DJANGO_DEBUG="1", REDIS_URL=os.environ["REDIS_URL"], **variables)
    result = subprocess.run([sys.executable, "-c", code], cwd=settings.BASE_DIR, env=environment, capture_output=True, text=True, timeout=120)
    if isinstance(expected, str):
        assert result.returncode != 0 and expected in result.stderr
    else:
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout.strip().splitlines()[-1]) == expected
