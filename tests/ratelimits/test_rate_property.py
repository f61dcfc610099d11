"""Property: every rate the override check accepts, the limiter enforces (on the suite's real Redis)."""

import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clientapi.ratelimits import enforce_rate_limit
from core.errors import InvalidRequest, RateLimited
from tenants.validation import validate_rate_limits

pytestmark = pytest.mark.store_independent

WELL_FORMED = st.builds(
    lambda count, multiplier, unit: f"{count}/{multiplier}{unit}",
    st.one_of(st.integers(0, 20), st.integers(0, 10**12)),
    st.one_of(st.just(""), st.integers(0, 3).map(str), st.integers(0, 10**13).map(str), st.just("00")),
    st.sampled_from("smhd"),
)
EDGES = st.sampled_from(["100/0m", "1/0s", "0/m", "1/s", "1000000000/31d", "1/44640m", "\u0661/m", "100/m\n", "9" * 5000 + "/m"])
RATES = st.one_of(WELL_FORMED, EDGES, st.from_regex(r"\A[0-9]{0,4}/[0-9]{0,4}[smhdSx]?\Z"), st.text(max_size=8))


def accepted(rate: str) -> bool:
    try:
        validate_rate_limits({"login_ip": rate})
    except InvalidRequest:
        return False
    return True


def outcome(rate: str, key: str) -> str:
    try:
        enforce_rate_limit(group="property:login_ip", key=key, rate=rate, attempted="login", limit="login_ip")
    except RateLimited as refused:
        assert refused.retry_after >= 1
        return "refused"
    return "allowed"


@settings(max_examples=300, deadline=None)
@given(rate=RATES)
def test_every_rate_the_check_accepts_is_enforced_without_error(rate):
    """Accepted: the first call in a fresh bucket passes unless the rate is 0 calls; later calls pass or get 429, nothing else."""
    if not accepted(rate):
        return
    key = uuid.uuid4().hex
    calls_allowed = int(rate.split("/")[0])
    assert outcome(rate, key) == ("allowed" if calls_allowed else "refused")
    assert {outcome(rate, key), outcome(rate, key)} <= {"allowed", "refused"}


@pytest.mark.parametrize(
    "rate", ["100/0m", "1/0s", "1/99999999999d", "9" * 5000 + "/m", "1000000001/m"], ids=["0m", "0s", "huge-period", "5000-digits", "over-1e9"]
)
def test_unenforceable_rates_are_refused_by_the_check(rate):
    """Rates the limiter cannot count (a zero period divides by zero; Redis refuses the expiry) fail the check."""
    assert not accepted(rate)
