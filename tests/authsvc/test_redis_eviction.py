"""A REDIS_URL whose maxmemory-policy evicts keys: a warning at start and in /readyz; a refusal to start on request."""

import os
import socket

import pytest

from tests.authsvc.conftest import STRONG_KEY

WARNING = "Redis' maxmemory-policy is allkeys-lru: when full it evicts any key"
REFUSAL = "AUTHSVC_REQUIRE_REDIS_NOEVICTION is set and REDIS_URL's Redis is not known to run noeviction"


def closed_redis_url() -> str:
    """A loopback port nothing listens on (bound only long enough to pick it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"redis://127.0.0.1:{sock.getsockname()[1]}/0"


def start(run_django, redis_url: str, **variables: str):
    """`manage.py check` in a fresh production-mode process on `redis_url`."""
    return run_django(
        "manage.py", "check", DJANGO_SECRET_KEY=STRONG_KEY, DJANGO_DEBUG="0", AUTHSVC_PUBLIC_URL="https://auth.example.com",
        AUTHSVC_LOG_LEVEL="WARNING", REDIS_URL=redis_url, **variables,
    )


@pytest.mark.embedded_default
def test_a_start_on_an_evicting_redis_warns_once_with_the_policy_and_the_risk(run_django, evicting_redis_url):
    """The process starts, and its log says once which policy was found and that counters can vanish."""
    result = start(run_django, evicting_redis_url)
    assert result.returncode == 0, result.stderr
    assert result.stderr.count(WARNING) == 1, result.stderr
    assert "rate limits and admin lockouts can reset early" in result.stderr
    assert "AUTHSVC_REQUIRE_REDIS_NOEVICTION=1" in result.stderr


@pytest.mark.embedded_default
def test_a_start_on_an_evicting_redis_is_refused_when_the_operator_requires_noeviction(run_django, evicting_redis_url):
    """AUTHSVC_REQUIRE_REDIS_NOEVICTION=1: the process exits non-zero, saying why."""
    result = start(run_django, evicting_redis_url, AUTHSVC_REQUIRE_REDIS_NOEVICTION="1")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert REFUSAL in result.stderr and "allkeys-lru" in result.stderr


@pytest.mark.embedded_default
def test_a_redis_whose_policy_cannot_be_read_is_refused_when_required(run_django):
    """With the setting on, an unreachable Redis is not assumed safe: the start fails, naming the cause."""
    result = start(run_django, closed_redis_url(), AUTHSVC_REQUIRE_REDIS_NOEVICTION="1")
    assert result.returncode != 0
    assert REFUSAL in result.stderr and "Could not read Redis' maxmemory-policy (ConnectionError)" in result.stderr


@pytest.mark.embedded_default
def test_a_start_on_a_noeviction_redis_passes_silently_even_when_required(run_django):
    """The suite's Redis runs noeviction (Redis' default): the start passes and logs no eviction warning."""
    result = start(run_django, os.environ["REDIS_URL"], AUTHSVC_REQUIRE_REDIS_NOEVICTION="1")
    assert result.returncode == 0, result.stderr
    assert "maxmemory-policy" not in result.stderr


@pytest.mark.store_independent
@pytest.mark.django_db
def test_readyz_stays_ready_and_shows_the_warning_on_an_evicting_redis(api, settings, evicting_redis_url):
    """/readyz answers 200 with every check ok, plus warnings.cache naming the policy and the risk."""
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": evicting_redis_url}}
    response = api.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["checks"] == {"database": "ok", "cache": "ok"}
    assert body["warnings"]["cache"]["maxmemory_policy"] == "allkeys-lru"
    assert WARNING in body["warnings"]["cache"]["detail"]
