"""Rate limits on django-ratelimit's counters (a shared Redis in production).

Buckets are keyed on validated values only (a client id, an access key id, a normalised
email, a parsed IP), never on raw headers, so a missing header cannot make one bucket
shared by everyone; and each bucket includes the client, so one client's traffic never
spends another's limit.
"""

import re
import time

from django.conf import settings
from django.core.cache import caches
from django_ratelimit import ALL
from django_ratelimit.core import EXPIRATION_FUDGE, _get_window, _make_cache_key, _split_rate
from rest_framework.throttling import BaseThrottle

from core.errors import InvalidRequest, RateLimited
from tenants.models import Client

RATE_PATTERN = re.compile(r"^\d+/\d*[smhd]$")


def enforce_rate_limit(*, group: str, key: str, rate: str, attempted: str, limit: str) -> None:
    """Count one call in `group`'s bucket for `key`; over `rate` → RateLimited (429), to be announced."""
    if not getattr(settings, "RATELIMIT_ENABLE", True):  # django-ratelimit's switch, default on
        return
    allowed, period = _split_rate(rate)
    window = _get_window(key, period)
    if _count(_make_cache_key(group, window, rate, key, ALL), ttl=period + EXPIRATION_FUDGE) > allowed:
        raise RateLimited(retry_after=max(1, window - int(time.time())), attempted=attempted, limit=limit)


def _count(cache_key: str, *, ttl: int) -> int:
    """Add one to a window's counter and read it back, in one round trip to Redis.

    django-ratelimit's get_usage does the same in two (add, then incr), the larger part of a
    token verify's cost. Windows and keys stay django-ratelimit's (same buckets, same jitter);
    only the counting is one MULTI/EXEC instead of two commands. The cache is always
    django-redis (embedded or shared, see settings), whose raw client this uses.
    """
    cache = caches[settings.RATELIMIT_USE_CACHE]
    stored_key = cache.make_key(cache_key)
    with cache.client.get_client(write=True).pipeline(transaction=True) as pipe:
        _, count = pipe.set(stored_key, 0, ex=ttl, nx=True).incr(stored_key).execute()
    return count


def client_rate(client: Client, limit: str) -> str:
    return (client.rate_limits or {}).get(limit) or settings.AUTHSVC_RATE_LIMITS[limit]


def enforce_client_limit(*, client: Client, limit: str, key: str, action: str) -> None:
    """Count one call of `action` against this client's `limit` for `key`; over it → 429."""
    enforce_rate_limit(
        group=f"{limit}:{client.client_id}", key=key, rate=client_rate(client, limit), attempted=action, limit=limit
    )


class AccessKeyThrottle(BaseThrottle):
    """Every call with a valid key counts in the key's own bucket (`access_key`).

    Over the limit it raises RateLimited itself instead of answering False: the 429 then
    carries the window's Retry-After and, for audit, which bucket overflowed.
    """

    def allow_request(self, request, view) -> bool:
        enforce_client_limit(client=view.client, limit="access_key", key=request.auth.key_id, action=view.action_name or "api_call")
        return True


def validate_rate_limits(overrides: object) -> dict:
    if overrides in (None, ""):
        return {}
    if not isinstance(overrides, dict):
        raise InvalidRequest(fields={"rate_limits": ["Must be an object of limit name to rate."]})
    problems = [
        f"{name}: unknown limit" if name not in settings.AUTHSVC_RATE_LIMITS else f"{name}: rate must look like 100/m"
        for name, rate in overrides.items()
        if name not in settings.AUTHSVC_RATE_LIMITS or not isinstance(rate, str) or not RATE_PATTERN.match(rate)
    ]
    if problems:
        raise InvalidRequest(fields={"rate_limits": problems})
    return overrides
