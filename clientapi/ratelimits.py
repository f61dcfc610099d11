"""Rate limits: fixed-window counters in Redis (a shared Redis in production).

Buckets are keyed on validated values only (a client id, an access key id, a normalised
email, a parsed IP), never on raw headers, so a missing header cannot make one bucket
shared by everyone; and each bucket includes the client, so one client's traffic never
spends another's limit.

The counters are ours, not a library's: counting a slice of calls at once (CountSlices) needs
an INCRBY of any size in one round trip, which django-ratelimit's public API (add, then incr
by one) does not offer.
"""

import hashlib
import logging
import threading
import time
from functools import lru_cache

from django.conf import settings
from django.core.cache import caches
from django_redis import get_redis_connection
from rest_framework.throttling import BaseThrottle

from core.errors import RateLimited
from core.rates import parse_rate, rate_problem, window_end
from tenants.models import Client

logger = logging.getLogger("authsvc.tenants")

# Always django-redis (embedded or shared, see settings), whose raw client counts in one round trip.
COUNTER_CACHE = "default"
COUNTER_PREFIX = "rl:"
# A counter outlives its window by a few seconds, so that a call at the window's last second
# never finds it expired between the two commands of its count.
EXPIRY_MARGIN_SECONDS = 5


def enforce_rate_limit(*, group: str, key: str, rate: str, attempted: str, limit: str, slices: "CountSlices | None" = None) -> None:
    """Count one call in `group`'s bucket for `key`; over `rate` → RateLimited (429), to be announced.

    With `slices`, the call may already be counted, in a slice this process took earlier (see
    CountSlices); by default every call is one count in Redis.
    """
    if not settings.AUTHSVC_RATE_LIMITS_ENABLED:
        return
    slices = slices or EVERY_CALL
    allowed, period = parse_rate(rate)
    window = window_end(key, period, now=time.time())
    bucket = (group, key, rate)
    if slices.take(bucket, window):
        return
    size = slices.next_size(bucket, window, allowed)
    total = _count(counter_key(group=group, key=key, rate=rate, window=window), ttl=period + EXPIRY_MARGIN_SECONDS, by=size)
    # The calls counted before this slice leave room for `granted` of its `size`; this call is one.
    granted = min(size, allowed - (total - size))
    slices.keep(bucket, window, units=max(granted - 1, 0), total=total)
    if granted <= 0:
        raise RateLimited(retry_after=max(1, window - int(time.time())), attempted=attempted, limit=limit)


def counter_key(*, group: str, key: str, rate: str, window: int) -> str:
    """The Redis key of one bucket's counter in one window, in the cache's namespace.

    A hash of the parts, so that no email or address is readable in Redis; the rate is part of
    it, so a limit changed mid-window starts a fresh count.
    """
    calls, period = parse_rate(rate)
    parts = "\x00".join((group, f"{calls}/{period}s", key, str(window)))
    return caches[COUNTER_CACHE].make_key(COUNTER_PREFIX + hashlib.sha256(parts.encode()).hexdigest())


def _count(stored_key: str, *, ttl: int, by: int = 1) -> int:
    """Add `by` to a window's counter, creating it with its expiry, and read it back: one round trip."""
    with get_redis_connection(COUNTER_CACHE).pipeline(transaction=True) as pipe:
        _, count = pipe.set(stored_key, 0, ex=ttl, nx=True).incrby(stored_key, by).execute()
    return count


class CountSlices:
    """Counts of a busy bucket taken from Redis a slice at a time, and spent in this process.

    Every call with a key counts in the key's bucket, and a round trip to Redis per call was a
    quarter of a token verify. So a process adds up to MAX_SLICE to the window's counter at
    once and lets that many of its own calls through without asking again. The counter in
    Redis always includes every slice taken, so all processes together never let more calls
    through than the limit. The price is the other way: calls one process counted ahead and
    never made are missing from the others' budget, so near the limit a key can be refused up to
    (processes − 1) × (slice − 1) calls early. Slices shrink as the window fills (at most an
    eighth of what was left when this process last looked), down to one call per count for
    the last few calls and for small limits, which are exact as before.
    """

    MAX_SLICE = 16
    SHARE_OF_ROOM = 8
    MAX_BUCKETS = 10_000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # bucket -> [window, calls left in this process's slice, counter total when last seen]
        self._buckets: dict[tuple[str, str, str], list[int]] = {}

    def take(self, bucket: tuple[str, str, str], window: int) -> bool:
        """Spend one call of this window's slice, if there is one left."""
        with self._lock:
            held = self._buckets.get(bucket)
            if held is None or held[0] != window or held[1] <= 0:
                return False
            held[1] -= 1
            return True

    def next_size(self, bucket: tuple[str, str, str], window: int, allowed: int) -> int:
        held = self._buckets.get(bucket)
        seen = held[2] if held is not None and held[0] == window else 0
        return max(1, min(self.MAX_SLICE, (allowed - seen) // self.SHARE_OF_ROOM))

    def keep(self, bucket: tuple[str, str, str], window: int, *, units: int, total: int) -> None:
        with self._lock:
            held = self._buckets.get(bucket)
            if held is not None and held[0] == window:
                held[1] += units
                held[2] = max(held[2], total)
                return
            if len(self._buckets) >= self.MAX_BUCKETS:
                # Forgetting slices only refuses early what they held; it never lets a call through.
                self._buckets.clear()
            self._buckets[bucket] = [window, units, total]


class EveryCall(CountSlices):
    """No slices: each call is its own count (every limit but the access key's)."""

    def take(self, bucket: tuple[str, str, str], window: int) -> bool:
        return False

    def next_size(self, bucket: tuple[str, str, str], window: int, allowed: int) -> int:
        return 1

    def keep(self, bucket: tuple[str, str, str], window: int, *, units: int, total: int) -> None:
        pass


EVERY_CALL = EveryCall()
# Per process: the access-key limit, the one every call pays, is counted in slices.
access_key_slices = CountSlices()


def client_rate(client: Client, limit: str) -> str:
    """The client's override of `limit`, else the default; an override the limiter cannot enforce
    (saved before overrides were checked) counts as absent rather than failing every call."""
    override = (client.rate_limits or {}).get(limit)
    if isinstance(override, str) and _enforceable(override, client_id=str(client.client_id), limit=limit):
        return override
    return settings.AUTHSVC_RATE_LIMITS[limit]


@lru_cache(maxsize=1024)  # a handful of distinct rates; also says each bad one once per process
def _enforceable(rate: str, *, client_id: str, limit: str) -> bool:
    if problem := rate_problem(rate):
        logger.warning("Client %s: rate_limits[%r] = %r is ignored (%s); the default applies. Correct it in the admin.", client_id, limit, rate, problem)
        return False
    return True


def enforce_client_limit(*, client: Client, limit: str, key: str, action: str, slices: CountSlices | None = None) -> None:
    """Count one call of `action` against this client's `limit` for `key`; over it → 429."""
    enforce_rate_limit(
        group=f"{limit}:{client.client_id}",
        key=key,
        rate=client_rate(client, limit),
        attempted=action,
        limit=limit,
        slices=slices,
    )


class AccessKeyThrottle(BaseThrottle):
    """Every call with a valid key counts in the key's own bucket (`access_key`), in slices.

    Over the limit it raises RateLimited itself instead of answering False: the 429 then
    carries the window's Retry-After and, for audit, which bucket overflowed.
    """

    def allow_request(self, request, view) -> bool:
        enforce_client_limit(
            client=view.client,
            limit="access_key",
            key=request.auth.key_id,
            action=view.action_name or "api_call",
            slices=access_key_slices,
        )
        return True

