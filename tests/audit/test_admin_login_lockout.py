"""Brute-force protection of /admin/login/ (django-axes on Redis) and the audit records it leaves."""

import json

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client as BrowserClient

from audit.models import AuditLog

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


def test_the_right_password_is_refused_after_five_wrong_ones(staff_users):
    """Five wrong passwords lock the name: the right one then gets the lockout page (429), not the admin."""
    assert settings.AXES_FAILURE_LIMIT == 5
    assert fail_until_locked("alice")[:4] == [200] * 4
    response = attempt("alice", PASSWORD)
    assert response.status_code == 429
    assert not logged_in(response)
    assert "Too many failed logins" in response.content.decode()


def test_a_locked_name_is_refused_from_any_address(staff_users):
    """The name stays locked when the next try comes from elsewhere (a botnet guessing one password)."""
    fail_until_locked("alice")
    assert attempt("alice", PASSWORD, OTHER_IP).status_code == 429


def test_another_name_from_another_address_is_unaffected(staff_users):
    """A lockout of alice from one address leaves bob, logging in from another, alone."""
    fail_until_locked("alice")
    assert logged_in(attempt("bob", PASSWORD, OTHER_IP))


def test_an_address_spraying_names_is_locked_for_every_name(staff_users):
    """Five failures spread over several names lock the address itself."""
    for name in ("carol", "dave", "erin", "frank", "grace"):
        attempt(name, WRONG)
    assert attempt("bob", PASSWORD).status_code == 429
    assert logged_in(attempt("bob", PASSWORD, OTHER_IP))


def test_staff_reset_lets_the_right_password_in_again(staff_users):
    """`manage.py axes_reset_ip_username <ip> <name>` lifts both locks; the right password works."""
    fail_until_locked("alice")
    call_command("axes_reset_ip_username", ATTACKER_IP, "alice", stdout=open("/dev/null", "w"))
    assert logged_in(attempt("alice", PASSWORD))


def test_failed_logins_and_the_lockout_are_audited_without_the_password(staff_users):
    """Each wrong password leaves an invalid_credentials row, the lockout and each refused try a locked_out row."""
    fail_until_locked("alice")
    attempt("alice", PASSWORD)
    failures, lockouts = admin_login_rows("invalid_credentials"), admin_login_rows("locked_out")
    assert len(failures) == settings.AXES_FAILURE_LIMIT
    assert len(lockouts) == 2  # the fifth failure locks; the right password is then refused unchecked
    for row in failures + lockouts:
        assert (row.status, row.ip_address, row.metadata["username"]) == ("failed", ATTACKER_IP, "alice")
        stored = json.dumps([row.reason, row.user_agent, row.metadata])
        assert WRONG not in stored and PASSWORD not in stored


def test_a_successful_login_leaves_no_failure_row(staff_users):
    """The right password at the first try writes no admin_login failure."""
    assert logged_in(attempt("alice", PASSWORD))
    assert not AuditLog.objects.filter(action="admin_login").exists()
