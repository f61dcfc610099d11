"""Consecutive failed logins of one email, and what they cost: the client's lockout policy
(tenants.policies.LockoutPolicy; docs/api.md §10).

The count lives in Redis, on the rate-limit counters' server, keyed by a hash of the client and the
canonical email, whether or not an account has that email: an unknown email is counted, refused
and answered exactly as a known one, with the same commands, so neither the answer nor its time
tells them apart. Each attempt is admitted (and counted as a failure in advance) or refused by one
script, atomically, so the processes of a deployment share one count and concurrent attempts
cannot slip past it; a right password then clears the count, as a password reset and staff do.

- throttle: from the max_failures-th failure on, each attempt waits 1 s after the last failure,
  doubling with every further failure, up to max_delay_seconds. Refused attempts are not counted,
  so the wait never grows past the cap, and a victim gets an attempt at least that often.
- lock: after max_failures failures no attempt is admitted until a password reset, staff unlock
  it, or forget_after_hours pass without a counted failure.
Either way the count is forgotten forget_after_hours after the last failure counted. With the
policy off (the default) nothing is counted and no command is sent.
"""

import hashlib
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from django.core.cache import caches
from django_redis import get_redis_connection

from accounts.errors import InvalidCredentials, LoginLocked
from accounts.events import UserLockedOut
from accounts.validation import normalize_email
from clientapi.ratelimits import COUNTER_CACHE
from core.errors import RateLimited
from core.events import publish_refusal
from core.request_meta import RequestMeta
from tenants.models import Client
from tenants.policies import LockoutMode, LockoutPolicy

PREFIX = "lockout:"
# KEYS[1]: the email's hash {failures, last (ms)}. ARGV: mode, max_failures, max_delay_seconds, ttl.
# Answers {admitted (1/0), seconds to wait when refused, failures counted with this attempt}.
ADMIT = """
local mode, limit, cap, ttl = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'failures', 'last')
local failures, last = tonumber(state[1]) or 0, tonumber(state[2]) or 0
if failures >= limit then
  if mode == 'lock' then return {0, redis.call('TTL', KEYS[1]), failures} end
  local left = last + math.min(2 ^ (failures - limit), cap) * 1000 - now
  if left > 0 then return {0, math.ceil(left / 1000), failures} end
end
redis.call('HSET', KEYS[1], 'failures', failures + 1, 'last', now)
redis.call('EXPIRE', KEYS[1], ttl)
return {1, 0, failures + 1}
"""


def counter_key(client: Client, email: str) -> str:
    """No email is readable in Redis: a hash of the client and the canonical email."""
    digest = hashlib.sha256(f"{client.client_id}\x00{normalize_email(email)}".encode()).hexdigest()
    return caches[COUNTER_CACHE].make_key(PREFIX + digest)


def _redis():
    return get_redis_connection(COUNTER_CACHE)


class counted_login:  # lower case: it reads as a function, `with counted_login(...)`
    """An attempt to log in as `email`, counted by the client's lockout policy.

    On entering: refused (RateLimited, or LoginLocked in lock mode) when the policy stops attempts
    of this email now, else counted as a failure. On leaving: a right password (the block ends
    normally) clears the count; the failure that reaches max_failures is published as
    `user.locked_out` instead of `user.login_failed`; any other error (a store down) takes the
    attempt's count back, so an outage locks nobody out.
    """

    __slots__ = ("client", "email", "policy", "request_meta", "failures")

    def __init__(self, *, client: Client, email: str, request_meta: RequestMeta | None = None):
        self.client, self.email, self.request_meta = client, email, request_meta
        self.policy = LockoutPolicy.of(client.lockout)
        self.failures = 0

    def __enter__(self) -> None:
        if self.policy.enabled:
            self.failures = _admit(self.client, self.email, self.policy)

    def __exit__(self, kind, error, traceback) -> bool:
        if not self.policy.enabled:
            return False
        if error is None:
            login_failures_clear(client=self.client, email=self.email)
        elif isinstance(error, InvalidCredentials):
            if self.failures == self.policy.max_failures:
                locked = UserLockedOut(
                    client_id=self.client.client_id,
                    user_id=error.user_id,
                    request_meta=self.request_meta,
                    mode=self.policy.mode,
                    failures=self.failures,
                )
                publish_refusal(locked, error)
        else:
            _redis().hincrby(counter_key(self.client, self.email), "failures", -1)
        return False


def _admit(client: Client, email: str, policy: LockoutPolicy) -> int:
    """The failures counted with this attempt; RateLimited or LoginLocked when it is refused."""
    script = _redis().register_script(ADMIT)
    args = (policy.mode, policy.max_failures, policy.max_delay_seconds, policy.forget_after_hours * 3600)
    admitted, wait, failures = script(keys=[counter_key(client, email)], args=args)
    if admitted:
        return int(failures)
    if policy.mode == LockoutMode.LOCK:
        raise LoginLocked(retry_after=max(int(wait), 1), attempted="login", limit="lockout")
    raise RateLimited(
        "Too many failed logins for this email; retry after Retry-After seconds.",
        retry_after=max(int(wait), 1),
        attempted="login",
        limit="lockout",
    )


def login_failures_clear(*, client: Client, email: str) -> None:
    """Forget the failed logins of `email`: its next attempt is admitted whatever the policy."""
    _redis().delete(counter_key(client, email))


@dataclass(frozen=True)
class LockoutState:
    """What staff see of an email's count: the failures in a row, and until when logins are
    refused (None: they are not; for a lock, when it lifts by itself)."""

    failures: int
    refused_until: datetime | None


def lockout_states(*, client: Client, emails: Iterable[str]) -> dict[str, LockoutState]:
    """The state of each of `emails` that has failures counted (one round trip for all)."""
    emails = list(emails)
    policy = LockoutPolicy.of(client.lockout)
    with _redis().pipeline(transaction=False) as pipe:
        for email in emails:
            pipe.hmget(counter_key(client, email), "failures", "last").pttl(counter_key(client, email))
        answers = pipe.execute()
    states = {}
    for email, (failures, last), ttl in zip(emails, answers[::2], answers[1::2], strict=True):
        if failures is not None and int(failures) > 0:
            states[email] = LockoutState(int(failures), _refused_until(policy, int(failures), int(last or 0), ttl))
    return states


def _refused_until(policy: LockoutPolicy, failures: int, last_ms: int, ttl_ms: int) -> datetime | None:
    if not policy.enabled or failures < policy.max_failures:
        return None
    if policy.mode == LockoutMode.LOCK:
        until_ms = time.time() * 1000 + max(ttl_ms, 0)
    else:
        until_ms = last_ms + min(2 ** min(failures - policy.max_failures, 32), policy.max_delay_seconds) * 1000
    until = datetime.fromtimestamp(until_ms / 1000, tz=UTC)
    return until if until > datetime.now(tz=UTC) else None
