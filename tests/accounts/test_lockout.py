"""A client's `lockout` (docs/api.md §6a): consecutive failed logins of one email throttle or lock its
logins; a right password, a reset, staff and a sign-up clear the count; and an email without an
account is counted, refused and answered exactly as one with an account."""

import pytest
from django_redis import get_redis_connection

from accounts import lockout
from accounts.email_tokens import Purpose, email_token_make
from accounts.flows import passwords
from accounts.lockout import counter_key, lockout_states
from audit.models import AuditLog
from tests.accounts.conftest import PASSWORD, call, sign_up
from tests.audit.conftest import only_record_written_by
from tests.concurrency import at_once
from tests.conftest import Tenant, make_tenant

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.store_independent]

WRONG = "Not-the-password-1"
UNKNOWN = "nobody@example.com"
DAY = 24 * 3600


@pytest.fixture(autouse=True)
def _per_email_limit_out_of_the_way(settings):
    """The login_email limit (10/m) would answer 429 before the lockout under test does."""
    settings.AUTHSVC_RATE_LIMITS = {**settings.AUTHSVC_RATE_LIMITS, "login_email": "1000/m"}


def locking(mode: str, **policy) -> Tenant:
    return make_tenant("Acme", lockout={"mode": mode, **policy})


def login(tenant: Tenant, email: str, password: str = WRONG):
    return call(tenant, "login", {"email": email, "password": password})


def fail(tenant: Tenant, email: str, times: int) -> list[int]:
    return [login(tenant, email).status_code for _ in range(times)]


def wait_out(tenant: Tenant, email: str, seconds: int) -> None:
    """Move the email's last failure `seconds` back: its wait has passed, without the test sleeping."""
    get_redis_connection("default").hincrby(counter_key(tenant.client, email), "last", -seconds * 1000)


def failures(tenant: Tenant, email: str) -> int:
    state = lockout_states(client=tenant.client, emails=[email]).get(email)
    return state.failures if state else 0


def answer(response) -> tuple:
    """All a caller can tell of a login's answer: status, body and the headers that vary."""
    return response.status_code, response.content, response.get("Retry-After"), response.get("WWW-Authenticate")


# --- throttle ----------------------------------------------------------------------------


def test_throttle_makes_each_attempt_past_max_failures_wait_twice_as_long_up_to_the_cap(transactional_db):
    """3 failures answer 401; then 429 rate_limited with Retry-After 1, 2, 4, then the cap (5), each
    once the wait before it has passed and one more failure was counted."""
    tenant = locking("throttle", max_failures=3, max_delay_seconds=5)
    user = sign_up(tenant)

    assert fail(tenant, user.email, 3) == [401, 401, 401]
    waits = []
    for _ in range(4):
        refused = login(tenant, user.email)
        assert (refused.status_code, refused.json()["error"]) == (429, "rate_limited")
        waits.append(int(refused["Retry-After"]))
        wait_out(tenant, user.email, waits[-1])
        assert login(tenant, user.email).status_code == 401
    assert waits == [1, 2, 4, 5]


def test_a_throttled_attempt_is_neither_checked_nor_counted(transactional_db, counting):
    """During the wait even the right password is answered 429 without a bcrypt check, and the count stays."""
    tenant = locking("throttle", max_failures=2)
    user = sign_up(tenant)
    fail(tenant, user.email, 2)
    checks = counting(passwords, "check_password")

    assert [login(tenant, user.email, PASSWORD).status_code for _ in range(3)] == [429, 429, 429]
    assert checks == []
    assert failures(tenant, user.email) == 2
    wait_out(tenant, user.email, 1)
    assert login(tenant, user.email, PASSWORD).status_code == 200


def test_a_right_password_clears_the_count(transactional_db):
    """Failures must be consecutive: a success in between starts the count again."""
    tenant = locking("throttle", max_failures=3)
    user = sign_up(tenant)

    assert fail(tenant, user.email, 2) == [401, 401]
    assert login(tenant, user.email, PASSWORD).status_code == 200
    assert fail(tenant, user.email, 3) == [401, 401, 401]
    assert login(tenant, user.email).status_code == 429


def test_a_right_password_clears_the_count_even_when_a_login_stage_stops_the_login(transactional_db):
    """A disabled user who gives the right password learns only what they learned before (403), and the
    failures before it no longer count."""
    tenant = locking("lock", max_failures=2)
    user = sign_up(tenant)
    type(user.row()).objects.filter(pk=user.user_id).update(is_active=False)
    fail(tenant, user.email, 1)

    assert login(tenant, user.email, PASSWORD).json()["error"] == "account_disabled"
    assert failures(tenant, user.email) == 0


# --- lock --------------------------------------------------------------------------------


def test_lock_refuses_every_attempt_until_a_password_reset(transactional_db):
    """After max_failures, 429 login_locked even for the right password (Retry-After: when it lifts by
    itself); a password reset unlocks at once."""
    tenant = locking("lock", max_failures=2)
    user = sign_up(tenant)

    assert fail(tenant, user.email, 2) == [401, 401]
    refused = login(tenant, user.email, PASSWORD)
    assert (refused.status_code, refused.json()["error"]) == (429, "login_locked")
    assert DAY - 60 <= int(refused["Retry-After"]) <= DAY

    token = email_token_make(client=tenant.client, user=user.row(), purpose=Purpose.RESET_PASSWORD)
    assert call(tenant, "password/reset", {"token": token, "new_password": "Another-horse-battery-7"}).status_code == 200
    assert login(tenant, user.email, "Another-horse-battery-7").status_code == 200


def test_staff_see_and_clear_a_lock_on_the_clients_users_page(transactional_db, admin_client):
    """The page shows the failures and until when logins are refused; Unlock clears them, audited with the staff member."""
    tenant = locking("lock", max_failures=2)
    user = sign_up(tenant)
    fail(tenant, user.email, 2)
    page = f"/admin/accounts/clients/{tenant.client_id}/users/"

    listed = admin_client.get(page).content.decode()
    assert "2, refused until" in listed and f'value="unlock:{user.user_id}"' in listed

    response, record = only_record_written_by(lambda: admin_client.post(page, {"row_action": f"unlock:{user.user_id}"}))
    assert response.status_code == 302
    assert (record.action, record.status, str(record.user_id)) == ("user_unlock", "success", user.user_id)
    assert record.metadata["actor"]["kind"] == "staff"
    assert failures(tenant, user.email) == 0
    assert login(tenant, user.email, PASSWORD).status_code == 200


def test_a_sign_up_clears_the_failures_counted_before_the_account_existed(transactional_db):
    """Someone who locked an address before it had an account does not lock its new owner out."""
    tenant = locking("lock", max_failures=1)
    fail(tenant, "ada@example.com", 1)

    user = sign_up(tenant)

    assert login(tenant, user.email, PASSWORD).status_code == 200


# --- what counts, and where ----------------------------------------------------------------


def test_the_count_is_per_client_and_per_canonical_email(transactional_db):
    """Another client's same email is not locked; one mailbox however spelled is one count."""
    tenant, other = locking("lock", max_failures=2), make_tenant("Globex", lockout={"mode": "lock", "max_failures": 2})
    sign_up(tenant), sign_up(other)

    assert [login(tenant, email).status_code for email in ("ada@example.com", " ADA@Example.com ")] == [401, 401]
    assert login(tenant, "Ada@EXAMPLE.com").status_code == 429
    assert login(other, "ada@example.com", PASSWORD).status_code == 200


def test_concurrent_attempts_never_get_past_the_count(transactional_db):
    """Eight wrong passwords at once against max_failures 3: exactly three are checked, five refused."""
    tenant = locking("lock", max_failures=3)
    user = sign_up(tenant)

    statuses = at_once(8, lambda: login(tenant, user.email).status_code)

    assert sorted(statuses) == [401] * 3 + [429] * 5
    assert failures(tenant, user.email) == 3


def test_with_the_lockout_off_no_count_is_kept(transactional_db):
    """The default sends no lockout command: many failures leave no trace and change no answer."""
    tenant = make_tenant("Acme")
    user = sign_up(tenant)

    assert set(fail(tenant, user.email, 12)) == {401}
    assert failures(tenant, user.email) == 0
    assert not get_redis_connection("default").keys(f"*{lockout.PREFIX}*")


# --- audit -------------------------------------------------------------------------------


@pytest.mark.parametrize(("mode", "refused_as"), [("throttle", "rate_limited"), ("lock", "login_locked")])
def test_the_failure_that_reaches_max_failures_is_recorded_as_locked_out(transactional_db, published, mode, refused_as):
    """One record per attempt: the max_failures-th is `login` failed `locked_out` (event user.locked_out),
    those refused after it `login` failed with the code answered."""
    tenant = locking(mode, max_failures=2)
    user = sign_up(tenant)
    fail(tenant, user.email, 1)

    _, locking_record = only_record_written_by(lambda: login(tenant, user.email))
    _, refused_record = only_record_written_by(lambda: login(tenant, user.email))

    assert (locking_record.action, locking_record.reason, locking_record.metadata) == ("login", "locked_out", {"mode": mode, "failures": 2})
    assert str(locking_record.user_id) == user.user_id
    assert (refused_record.action, refused_record.status, refused_record.reason) == ("login", "failed", refused_as)
    assert [event.name for event in published].count("user.locked_out") == 1
    assert not AuditLog.objects.filter(reason="locked_out").exclude(pk=locking_record.pk).exists()
