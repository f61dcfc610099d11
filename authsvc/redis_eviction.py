"""Whether the Redis behind the cache may evict keys, said at start and by /readyz.

Rate-limit and admin-lockout counters, and the delivery queue (mail), live in that Redis. The embedded
server runs `noeviction` (authsvc/embedded_redis.py); an operator's REDIS_URL may not: a
server that evicts under memory pressure drops counters (every key here has an expiry, so
`volatile-*` policies take them too) and limits stop holding; `allkeys-*` also drops queued
delivery jobs (mail), which the delivery sweep enqueues again only later.
"""

import logging
from dataclasses import dataclass

import redis
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django_redis import get_redis_connection

logger = logging.getLogger("authsvc.settings")

SAFE_POLICY = "noeviction"


@dataclass(frozen=True)
class EvictionWarning:
    maxmemory_policy: str  # as Redis reports it, or "unknown" when it could not be read
    detail: str

    def as_json(self) -> dict:
        return {"maxmemory_policy": self.maxmemory_policy, "detail": self.detail}


def eviction_warning() -> EvictionWarning | None:
    """None when the cache's Redis never evicts; else what it does and what that risks."""
    try:
        # INFO, not CONFIG GET: managed Redis services often disable CONFIG.
        policy = get_redis_connection("default").info("memory").get("maxmemory_policy")
    except (redis.RedisError, OSError) as error:
        return EvictionWarning("unknown", f"Could not read Redis' maxmemory-policy ({error.__class__.__name__}).")
    if policy == SAFE_POLICY:
        return None
    if policy is None:
        return EvictionWarning("unknown", "Redis does not report its maxmemory-policy.")
    dropped = "keys with an expiry, which all rate-limit counters have" if policy.startswith("volatile-") else "any key"
    return EvictionWarning(
        policy,
        f"Redis' maxmemory-policy is {policy}: when full it evicts {dropped}, so rate limits and admin "
        "lockouts can reset early and queued mail jobs wait for the next sweep. "
        f"Set maxmemory-policy {SAFE_POLICY} (a full Redis then refuses writes and calls answer 503).",
    )


def check_eviction_policy_at_start() -> None:
    """Warn about a shared Redis that evicts; refuse to start on one if the operator said so.

    Only for REDIS_URL: the embedded server is started with noeviction, and connecting to it
    here would start it for every manage.py command.
    """
    if not settings.REDIS_URL:
        return
    warning = eviction_warning()
    if warning is None:
        return
    if settings.AUTHSVC_REQUIRE_REDIS_NOEVICTION:
        raise ImproperlyConfigured(
            f"AUTHSVC_REQUIRE_REDIS_NOEVICTION is set and REDIS_URL's Redis is not known to run "
            f"{SAFE_POLICY}: {warning.detail}"
        )
    if warning.maxmemory_policy == "unknown":
        logger.warning("%s", warning.detail)
    else:
        logger.warning("%s Set AUTHSVC_REQUIRE_REDIS_NOEVICTION=1 to refuse to start on such a Redis.", warning.detail)
