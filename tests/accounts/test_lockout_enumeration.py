"""The lockout never tells which emails have accounts (docs/api.md §6a): an unknown email is counted,
refused and answered as a known one with a wrong password, after the same work, in the same time."""

import time

import pytest

from accounts.flows import passwords
from clientapi import ratelimits
from tests.accounts.conftest import call, sign_up, work_of
from tests.conftest import Tenant, make_tenant

pytestmark = pytest.mark.django_db(transaction=True)

WRONG = "Not-the-password-1"
KNOWN, UNKNOWN = "ada@example.com", "nobody@example.com"
MAX_FAILURES = 3
# Attempts 1-2 are counted, the 3rd locks (user.locked_out), the 4th and 5th are refused.
ATTEMPTS = MAX_FAILURES + 2


@pytest.fixture(autouse=True)
def _per_email_limit_out_of_the_way(settings):
    """The login_email limit (10/m) would answer 429 before the lockout under test does."""
    settings.AUTHSVC_RATE_LIMITS = {**settings.AUTHSVC_RATE_LIMITS, "login_email": "100000/m"}


def tenant_locking(mode: str) -> Tenant:
    tenant = make_tenant("Acme", lockout={"mode": mode, "max_failures": MAX_FAILURES})
    sign_up(tenant, KNOWN)
    return tenant


def login(tenant: Tenant, email: str):
    return call(tenant, "login", {"email": email, "password": WRONG})


@pytest.mark.store_independent
@pytest.mark.parametrize("mode", ["throttle", "lock"])
def test_an_unknown_email_gets_the_answers_a_known_one_gets(transactional_db, counting, mode):
    """Attempt by attempt, through counting, locking and refusing: the same status, body and headers,
    and the same number of bcrypt checks."""
    tenant = tenant_locking(mode)
    checks = counting(passwords, "check_password")

    for attempt in range(1, ATTEMPTS + 1):
        known, checked_known = login(tenant, KNOWN), len(checks)
        unknown, checked_unknown = login(tenant, UNKNOWN), len(checks) - checked_known
        assert known.status_code == (401 if attempt <= MAX_FAILURES else 429)
        assert (known.status_code, known.content) == (unknown.status_code, unknown.content), attempt
        for header in ("Retry-After", "WWW-Authenticate"):
            assert known.get(header) == unknown.get(header), (attempt, header)
        assert checked_known == checked_unknown == (1 if attempt <= MAX_FAILURES else 0)
        checks.clear()


def test_an_unknown_email_costs_the_store_and_redis_what_a_known_one_costs(transactional_db, settings, monkeypatch):
    """The same database statements and Redis commands (values aside) at each attempt, counted, locking or refused."""
    settings.AUTHSVC_ACCESS_KEY_CACHE_SECONDS = 3600  # no key lookup in either call
    monkeypatch.setattr(ratelimits, "access_key_slices", ratelimits.EveryCall())
    tenant = tenant_locking("lock")
    login(tenant, KNOWN), login(tenant, UNKNOWN)  # first calls of each: the script is loaded, caches are made
    work_of(lambda: None)  # the capture's own first connection (HELLO) is in no measured call

    for attempt in range(2, ATTEMPTS + 1):
        known, unknown = work_of(lambda: login(tenant, KNOWN)), work_of(lambda: login(tenant, UNKNOWN))
        assert known == unknown, attempt
        assert any("lockout" in command or "EVALSHA" in command for command in known.redis_commands)


def share_slower(a: list[float], b: list[float]) -> float:
    """P(a sample of `a` is slower than one of `b`), ties counted half: 0.5 when neither side is slower."""
    return sum((x > y) + 0.5 * (x == y) for x in a for y in b) / (len(a) * len(b))


@pytest.mark.store_independent
@pytest.mark.parametrize(("mode", "state"), [("throttle", "counted"), ("lock", "refused")])
def test_an_unknown_email_takes_the_time_a_known_one_takes(transactional_db, settings, mode, state):
    """Timed in pairs (ABBA order, after warming up), neither side is clearly the slower: a generous
    bound that a bcrypt check on one side only would cross, not a time budget."""
    settings.AUTHSVC_BCRYPT_ROUNDS = 8  # a check long enough to stand out of a loaded machine's noise
    tenant = make_tenant("Acme", lockout={"mode": mode, "max_failures": 100 if state == "counted" else 1})
    sign_up(tenant, KNOWN)
    timings: dict[str, list[float]] = {KNOWN: [], UNKNOWN: []}

    def timed(email: str) -> None:
        started = time.perf_counter()
        response = login(tenant, email)
        timings[email].append(time.perf_counter() - started)
        assert response.status_code == (401 if state == "counted" else 429)

    for email in (KNOWN, UNKNOWN) * 2:
        login(tenant, email)  # warm up; and in lock mode, lock both
    for pair in range(24):
        for email in (KNOWN, UNKNOWN) if pair % 2 == 0 else (UNKNOWN, KNOWN):
            timed(email)

    assert 0.2 <= share_slower(timings[KNOWN], timings[UNKNOWN]) <= 0.8
