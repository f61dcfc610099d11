"""What both clients share: each endpoint's request (path, body, headers, whether a retry is safe), how an
answer becomes a result or an error, and when to retry. The sync and async clients only send."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, Generic, TypeVar

import httpx

from .errors import AuthsvcConnectionError, AuthsvcError, LoginLocked, RateLimited, ServiceUnavailable, error_from_answer

T = TypeVar("T")

VERSION = "0.1.0"
DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)


def _nothing(body: Any) -> None:
    return None


@dataclass(frozen=True)
class Call(Generic[T]):
    """One request to the API and how to read its answer.

    `retry_safe`: sending it again after a 429, a 503 or no answer cannot do twice what the caller
    asked once (read-only, or idempotent as docs/api.md promises), and the end user is not kept waiting
    on a limit that is theirs. See README.md, "Retries", for the table.
    """

    method: str
    path: str
    parse: Callable[[Any], T] = _nothing  # type: ignore[assignment]
    json: Any = None
    content: bytes | None = None  # a body that is not JSON (NDJSON for users/import); its type in headers
    params: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    retry_safe: bool = False
    # Seconds from the first attempt after which no retry is sent (a refresh's reuse interval).
    retry_within: float | None = None
    authenticated: bool = True


def end_user_headers(ip: str | None, agent: str | None) -> dict[str, str]:
    """The end user's address and agent, which the service trusts with a valid key (audit, per-IP limits)."""
    headers = {}
    if ip:
        headers["X-End-User-IP"] = ip
    if agent:
        headers["X-End-User-Agent"] = agent
    return headers


def request_headers(call: Call[Any], access_key: str) -> dict[str, str]:
    headers = {"Accept": "application/json", "User-Agent": f"authsvc-client-python/{VERSION}", **call.headers}
    if call.authenticated:
        headers["Authorization"] = f"Bearer {access_key}"
    return headers


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds: a number of seconds or an HTTP date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _body(response: httpx.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return None


def build_request(http: httpx.Client | httpx.AsyncClient, base_url: str, call: Call[Any], access_key: str) -> httpx.Request:
    return http.build_request(
        call.method, base_url + call.path, json=call.json, content=call.content, params=call.params,
        headers=request_headers(call, access_key),
    )


def user_line(line: str) -> Any:
    """One line of an NDJSON export, as a dict (the caller builds the User)."""
    return json.loads(line)


def result_of(call: Call[T], response: httpx.Response) -> T:
    """The call's result, read from a successful answer."""
    return call.parse(_body(response))


def error_of(response: httpx.Response) -> AuthsvcError:
    """The AuthsvcError of an answer that is not a success (its body read)."""
    return error_from_answer(response.status_code, _body(response), retry_after_seconds(response.headers.get("Retry-After")))


def connection_error(call: Call[Any], exc: httpx.TransportError) -> AuthsvcConnectionError:
    # The exception's text never holds the request body, so no password or token is echoed.
    return AuthsvcConnectionError(f"{call.method} {call.path}: {type(exc).__name__}")


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to wait before sending a retry-safe call again.

    Retried: 429 and 503 (after Retry-After, plus jitter) and no answer at all (exponential backoff
    with full jitter), at most `retries` times. A Retry-After longer than `max_retry_after` is not
    waited for: the error is raised at once with its `retry_after`, for the caller to decide.
    """

    retries: int = 2
    backoff: float = 0.5
    max_backoff: float = 8.0
    max_retry_after: float = 30.0

    def delay(self, call: Call[Any], attempt: int, error: AuthsvcError, elapsed: float = 0.0) -> float | None:
        """Seconds to wait before attempt `attempt + 1` (`elapsed` seconds after the first), or None to raise `error` now."""
        if not call.retry_safe or attempt >= self.retries:
            return None
        if not isinstance(error, (RateLimited, ServiceUnavailable, AuthsvcConnectionError)) or isinstance(error, LoginLocked):
            return None
        step = min(self.max_backoff, self.backoff * 2**attempt)
        if error.retry_after is None:
            wait = random.uniform(0, step)
        elif error.retry_after > self.max_retry_after:
            return None
        else:
            wait = error.retry_after + random.uniform(0, step)
        if call.retry_within is not None and elapsed + wait >= call.retry_within:
            return None
        return wait
