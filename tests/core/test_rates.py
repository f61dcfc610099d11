"""core.rates: what a rate means (calls per period) and the fixed windows a key counts in."""

import pytest

from core.rates import parse_rate, window_end

pytestmark = pytest.mark.store_independent  # pure functions

NOW = 1_700_000_000.25


@pytest.mark.parametrize(
    ("rate", "calls", "seconds"),
    [("10/s", 10, 1), ("100/m", 100, 60), ("20/h", 20, 3600), ("5/d", 5, 86400), ("5/15m", 5, 900), ("0/m", 0, 60), ("1000000000/31d", 10**9, 31 * 86400)],
)
def test_a_rate_is_calls_per_period(rate, calls, seconds):
    """The multiplier scales the unit; 0 calls is a rate (every call refused)."""
    assert parse_rate(rate) == (calls, seconds)


@pytest.mark.parametrize("rate", ["100/0m", "5/hour", "1/99999999999d", "١٠/m", "100/m\n", "100", ""])
def test_a_rate_the_limiter_cannot_enforce_is_a_value_error(rate):
    """Anything rate_problem refuses is refused here too, never half-parsed."""
    with pytest.raises(ValueError):
        parse_rate(rate)


@pytest.mark.parametrize("period", [1, 60, 3600, 86400])
def test_a_window_ends_within_one_period_and_holds_for_its_whole_length(period):
    """The end is now or later, less than a period away, and the same until then."""
    end = window_end("ada@example.com", period, now=NOW)
    assert NOW - 1 < end < NOW + period
    assert window_end("ada@example.com", period, now=end) == end
    assert window_end("ada@example.com", period, now=end + 1) == end + period


def test_keys_windows_are_offset_from_one_another():
    """Buckets do not all start afresh at the same second."""
    ends = {window_end(f"user{n}@example.com", 3600, now=NOW) for n in range(50)}
    assert len(ends) > 40
