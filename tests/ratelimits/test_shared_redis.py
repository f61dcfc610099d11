"""Counters live in the shared Redis: two workers, each with its own connection, spend one budget.

Each "worker" is an APIClient served while `caches["default"]` is a django-redis cache of its
own, on its own connection pool (a distinct `client_name` in the URL gives a distinct pool,
and names the connection so that Redis itself shows two clients).
"""

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
import redis
from django.conf import settings
from django.core.cache import caches
from django_redis.cache import RedisCache
from rest_framework.test import APIClient

from clientapi.ratelimits import counter_key
from core.rates import parse_rate, window_end
from tests.accounts.conftest import call
from tests.conftest import Tenant

pytestmark = pytest.mark.django_db(transaction=True)

RATE = "3/h"
EMAIL = "ada@example.com"


@dataclass
class Worker:
    name: str
    api: APIClient
    cache: RedisCache

    @contextmanager
    def serving(self) -> Iterator[None]:
        """Requests made inside see this worker's cache, as a separate process would."""
        original = caches["default"]
        caches["default"] = self.cache
        try:
            yield
        finally:
            caches["default"] = original

    def login(self, tenant: Tenant, n: int):
        with self.serving():
            body = {"email": EMAIL, "password": "Wrong-password-123"}
            return call(tenant, "login", body, api=self.api, HTTP_X_END_USER_IP=f"203.0.113.{n + 10}")


def worker(name: str) -> Worker:
    config = settings.CACHES["default"]
    location = f"{os.environ['REDIS_URL']}?client_name={name}"
    return Worker(name, APIClient(), RedisCache(location, {"OPTIONS": config.get("OPTIONS", {})}))


@pytest.fixture
def workers() -> Iterator[tuple[Worker, Worker]]:
    pair = (worker("authsvc-worker-1"), worker("authsvc-worker-2"))
    yield pair
    for each in pair:
        each.cache.client.get_client().connection_pool.disconnect()


@pytest.fixture
def raw_redis() -> Iterator[redis.Redis]:
    connection = redis.Redis.from_url(os.environ["REDIS_URL"])
    yield connection
    connection.close()


@pytest.fixture
def limited_tenant(tenant) -> Tenant:
    tenant.client.rate_limits = {"login_email": RATE}
    tenant.client.save()
    return tenant


def login_email_counter_key(tenant: Tenant) -> str:
    """The Redis key of the login-per-email bucket in the current window."""
    _, period = parse_rate(RATE)
    return counter_key(group=f"login_email:{tenant.client_id}", key=EMAIL, rate=RATE, window=window_end(EMAIL, period, now=time.time()))


def test_calls_through_two_workers_count_against_one_limit(limited_tenant, workers, raw_redis):
    """3/h: two calls on worker 1 and one on worker 2 spend the budget; both workers then answer 429."""
    first, second = workers
    assert [first.login(limited_tenant, 0).status_code, second.login(limited_tenant, 1).status_code] == [401, 401]
    assert first.login(limited_tenant, 2).status_code == 401
    assert second.login(limited_tenant, 3).status_code == 429
    assert first.login(limited_tenant, 4).status_code == 429
    connected = {client["name"] for client in raw_redis.client_list()}
    assert {first.name, second.name} <= connected  # two distinct connections really served the calls


def test_the_counter_is_a_key_in_redis_that_every_worker_reads(limited_tenant, workers, raw_redis):
    """The bucket is a Redis key with an expiry; what another process adds to it, a worker honours."""
    first, second = workers
    key = login_email_counter_key(limited_tenant)
    assert first.login(limited_tenant, 0).status_code == 401
    assert raw_redis.get(key) == b"1"
    assert 0 < raw_redis.ttl(key) <= 3600 + 60
    raw_redis.incrby(key, 2)  # a third process spent the rest of the budget
    response = second.login(limited_tenant, 1)
    assert response.status_code == 429, response.content
    assert raw_redis.get(key) == b"4"
