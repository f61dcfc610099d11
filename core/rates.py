"""Rate strings ("100/m", "5/15m"), accepted only when enforceable, and the windows they count in.

A looser parser would take "100/0m" (a division by zero in every window computation),
"1/99999999999d" (an expiry Redis refuses) or a 5,000-digit count (over Python's int conversion
limit): each a 500 on every call the rate applies to.
Pure (no Django), so that settings can check the defaults read from the environment too.
"""

import re
import zlib
from functools import lru_cache

# ASCII digits only (`\d` would take "١٠"), no trailing newline (`$` would allow one), and
# lengths bound before int() sees them.
RATE = re.compile(r"([0-9]{1,10})/([0-9]{0,8})([smhd])")
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
MAX_CALLS = 1_000_000_000
MAX_PERIOD_SECONDS = 31 * 86400  # a counter (a Redis key) lives one period at most
SHAPE = "rate must look like 100/m"


def rate_problem(rate: object) -> str | None:
    """Why `rate` cannot be enforced ("calls/[multiplier]unit", 0–1e9 calls per 1 s–31 d), or None."""
    match = RATE.fullmatch(rate) if isinstance(rate, str) else None
    if match is None:
        return SHAPE
    calls, multiplier, unit = match.groups()
    if int(calls) > MAX_CALLS:
        return f"at most {MAX_CALLS} calls per period"
    if not 1 <= int(multiplier or 1) * UNIT_SECONDS[unit] <= MAX_PERIOD_SECONDS:
        return "the period must be 1s to 31d"
    return None


@lru_cache(maxsize=256)  # a handful of distinct rates, parsed on every counted call
def parse_rate(rate: str) -> tuple[int, int]:
    """(calls, period in seconds) of an enforceable rate; ValueError for any other."""
    if problem := rate_problem(rate):
        raise ValueError(f"{rate!r}: {problem}")
    calls, multiplier, unit = RATE.fullmatch(rate).groups()
    return int(calls), int(multiplier or 1) * UNIT_SECONDS[unit]


def window_end(key: str, period: int, *, now: float) -> int:
    """The second (epoch) at which `key`'s current fixed window of `period` seconds ends.

    Windows are offset per key by a hash of it, so that buckets do not all start afresh at the
    same second (the scheme django-ratelimit uses, whose counters these once were).
    """
    second = int(now)
    end = second - second % period + zlib.crc32(key.encode()) % period
    return end if end >= second else end + period
