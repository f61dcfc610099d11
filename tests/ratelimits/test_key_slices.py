"""The access-key limit, counted in slices: exact in one process, never over the limit across
processes, counted ahead in Redis (docs/api.md §6)."""

import time
import uuid

import pytest
from django_redis import get_redis_connection

from clientapi.ratelimits import CountSlices, counter_key, enforce_rate_limit
from core.errors import RateLimited
from core.rates import window_end
from tenants.access_keys import parse_access_key
from tests.accounts.conftest import call
from tests.conftest import Tenant

pytestmark = pytest.mark.django_db(transaction=True)

HOUR = 3600


def limit_key(tenant: Tenant, rate: str) -> None:
    tenant.client.rate_limits = {"access_key": rate}
    tenant.client.save()


def verify(tenant: Tenant):
    return call(tenant, "token/verify", {"token": "not-a-token"})


def key_counter(tenant: Tenant, rate: str) -> int:
    """What the key's counter in Redis holds for the current window."""
    key_id, _secret = parse_access_key(tenant.access_key)
    name = counter_key(group=f"access_key:{tenant.client.client_id}", key=key_id, rate=rate, window=window_end(key_id, HOUR, now=time.time()))
    return int(get_redis_connection("default").get(name) or 0)


@pytest.mark.parametrize("limit", [40, 150])
def test_one_process_lets_exactly_the_limit_through_then_answers_429(tenant, limit):
    """Slices shrink as the window fills, so the last calls are counted one by one: the limit, not one call more."""
    limit_key(tenant, f"{limit}/h")
    statuses = [verify(tenant).status_code for _ in range(limit + 2)]
    assert statuses == [200] * limit + [429, 429]


def test_a_call_is_counted_ahead_in_a_slice_of_the_keys_counter(tenant):
    """The first call of a window takes 16 counts at once; the next 15 calls need no new count."""
    limit_key(tenant, "1200/h")
    assert verify(tenant).status_code == 200
    assert key_counter(tenant, "1200/h") == 16
    for _ in range(15):
        assert verify(tenant).status_code == 200
    assert key_counter(tenant, "1200/h") == 16
    assert verify(tenant).status_code == 200
    assert key_counter(tenant, "1200/h") == 32


def test_a_small_limit_is_counted_call_by_call(tenant):
    """Under 16 calls per window, the counter holds exactly the calls made."""
    limit_key(tenant, "12/h")
    for made in range(1, 4):
        assert verify(tenant).status_code == 200
        assert key_counter(tenant, "12/h") == made


@pytest.mark.store_independent  # Redis only
@pytest.mark.parametrize("processes", [2, 4])
def test_processes_sharing_a_key_never_let_more_calls_through_than_the_limit(processes):
    """Each process has slices of its own; together they stay within the limit, refused at most 15 each early."""
    limit, key = 200, f"key-{uuid.uuid4().hex}"
    slices = [CountSlices() for _ in range(processes)]
    let_through, still_open = 0, set(range(processes))
    for turn in range(10 * limit):
        if not still_open:
            break
        process = turn % processes
        if process not in still_open:
            continue
        try:
            enforce_rate_limit(group="access_key:test", key=key, rate=f"{limit}/h", attempted="t", limit="access_key", slices=slices[process])
            let_through += 1
        except RateLimited:
            still_open.discard(process)
    assert not still_open
    assert limit - (processes - 1) * 15 <= let_through <= limit



def test_a_count_is_one_transaction_in_redis():
    """A counted call sends Redis one MULTI/EXEC of SET NX EX and INCRBY (one round trip), and nothing else."""
    connection = get_redis_connection("default")
    before = connection.info("commandstats")
    enforce_rate_limit(group="probe:login_ip", key=uuid.uuid4().hex, rate="5/m", attempted="login", limit="login_ip")
    after = connection.info("commandstats")
    sent = {name: stats["calls"] - before.get(name, {}).get("calls", 0) for name, stats in after.items() if name != "cmdstat_info"}
    assert {name: calls for name, calls in sent.items() if calls} == {"cmdstat_multi": 1, "cmdstat_set": 1, "cmdstat_incrby": 1, "cmdstat_exec": 1}
