"""The per-process memory of access keys: fewer lookups, and changes still applied in time."""

import secrets
import threading
from dataclasses import FrozenInstanceError
from types import SimpleNamespace

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from clientapi.authentication import AccessKeyAuthentication
from tenants.access_keys import KEY_PATTERN
from tenants.key_cache import AccessKeyCache, AccessKeySnapshot, access_key_cache
from tenants.models import AccessKey, Client
from tenants.selectors import access_key_find
from tenants.services import access_key_revoke, access_key_rotate, client_deactivate
from tests.stores import STORE

pytestmark = pytest.mark.django_db(transaction=True)


class FakeClock:
    """Stands in for time.monotonic, so that a test can let the TTL pass without sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(access_key_cache, "clock", fake)
    return fake


def key_id_of(access_key: str) -> str:
    return KEY_PATTERN.match(access_key)["key_id"]


def status_of(api, tenant, access_key: str | None = None) -> int:
    return api.get(tenant.url(), HTTP_AUTHORIZATION=f"Bearer {access_key or tenant.access_key}").status_code


def test_a_second_call_does_not_look_the_key_up_again(api, tenant):
    """After one authenticated call, the next one with the same key reads no access_keys row."""
    assert status_of(api, tenant) == 200

    with CaptureQueriesContext(connections["default"]) as captured:
        assert status_of(api, tenant) == 200

    assert [query["sql"] for query in captured.captured_queries if "access_keys" in query["sql"]] == []


def test_a_wrong_secret_is_refused_even_for_a_remembered_key(api, tenant):
    """The remembered row only saves the lookup; the secret is checked on every call."""
    assert status_of(api, tenant) == 200

    forged = f"ak_{key_id_of(tenant.access_key)}.{secrets.token_urlsafe(32)}"

    assert status_of(api, tenant, forged) == 401


CHANGES_IN_THIS_PROCESS = {
    "revoke": (lambda tenant: access_key_revoke(client=tenant.client, key_id=key_id_of(tenant.access_key)), 401),
    "rotate-revoking": (lambda tenant: access_key_rotate(client=tenant.client, revoke_existing=True), 401),
    "deactivate-client": (lambda tenant: client_deactivate(client=tenant.client), 403),
    "delete-key-row": (lambda tenant: AccessKey.objects.get(key_id=key_id_of(tenant.access_key)).delete(), 401),
}


@pytest.mark.parametrize(("change", "status"), CHANGES_IN_THIS_PROCESS.values(), ids=CHANGES_IN_THIS_PROCESS.keys())
def test_a_change_made_in_this_process_applies_to_the_next_call(api, tenant, clock, change, status):
    """Revoking, rotating, deactivating or deleting here is seen at once, with no time passing."""
    assert status_of(api, tenant) == 200

    change(tenant)

    assert status_of(api, tenant) == status


def test_a_revocation_by_another_process_applies_within_the_ttl(api, tenant, clock, settings):
    """A revocation written elsewhere (no signal here) is seen once AUTHSVC_ACCESS_KEY_CACHE_SECONDS pass."""
    settings.AUTHSVC_ACCESS_KEY_CACHE_SECONDS = 5
    assert status_of(api, tenant) == 200
    AccessKey.objects.filter(key_id=key_id_of(tenant.access_key)).update(revoked_at=timezone.now())

    clock.now += 4.9
    assert status_of(api, tenant) == 200  # the documented window

    clock.now += 0.2
    assert status_of(api, tenant) == 401


def test_a_client_disabled_by_another_process_is_refused_within_the_ttl(api, tenant, clock):
    """Deactivation written elsewhere answers 403 once the remembered client expires."""
    assert status_of(api, tenant) == 200
    Client.objects.filter(pk=tenant.client.pk).update(is_active=False)

    clock.now += 5.1

    assert status_of(api, tenant) == 403


def test_zero_seconds_turns_the_memory_off(api, tenant, settings):
    """With AUTHSVC_ACCESS_KEY_CACHE_SECONDS=0 every call looks its key up, so a revocation anywhere applies at once."""
    settings.AUTHSVC_ACCESS_KEY_CACHE_SECONDS = 0
    assert status_of(api, tenant) == 200
    AccessKey.objects.filter(key_id=key_id_of(tenant.access_key)).update(revoked_at=timezone.now())

    assert status_of(api, tenant) == 401
    assert len(access_key_cache) == 0


def test_unknown_key_ids_are_not_remembered(api, tenant):
    """Guessed key ids answer 401 and leave nothing behind, so they cannot crowd out real keys."""
    for _ in range(20):
        guess = f"ak_{secrets.token_hex(8)}.{secrets.token_urlsafe(32)}"
        assert status_of(api, tenant, guess) == 401

    assert len(access_key_cache) == 0


def test_the_memory_holds_at_most_maxsize_keys_and_drops_the_least_recently_used():
    """A bounded LRU: the third key pushes out the one used longest ago."""
    cache = AccessKeyCache(maxsize=2)
    rows = {name: SimpleNamespace(client_id=name) for name in ("a", "b", "c")}
    loads: list[str] = []

    def load(name):
        loads.append(name)
        return rows[name]

    for name in ("a", "b", "a", "c", "a", "b"):
        cache.get(name, lambda name=name: load(name))

    assert loads == ["a", "b", "c", "b"]
    assert len(cache) == 2


def authenticated(tenant) -> Request:
    """A DRF request carrying the tenant's key, authenticated as a view would."""
    request = Request(
        APIRequestFactory().get(tenant.url(), HTTP_AUTHORIZATION=f"Bearer {tenant.access_key}"),
        authenticators=[AccessKeyAuthentication()],
    )
    assert request.auth is not None
    return request


def test_what_one_request_does_to_its_client_does_not_reach_the_next(api, tenant):
    """Each request gets a Client of its own (as ClientApi takes it): changing one in memory
    changes nothing for other requests."""
    first = authenticated(tenant).auth.client.to_client()
    first.is_active = False
    first.rate_limits["access_key"] = "1/h"
    first.client_name = "changed in memory"

    second = authenticated(tenant).auth.client.to_client()

    assert second is not first
    assert (second.is_active, second.rate_limits, second.client_name) == (True, {}, "Acme")
    assert status_of(api, tenant) == 200


def test_a_remembered_key_cannot_be_changed(tenant):
    """What a request reads as `request.auth` is frozen: un-revoking it in memory is impossible."""
    request = authenticated(tenant)

    with pytest.raises(FrozenInstanceError):
        request.auth.revoked = True
    with pytest.raises(FrozenInstanceError):
        request.auth.client.is_active = False


class BlockedLoad:
    """A load that reads its value at once, then waits until the test releases it."""

    def __init__(self, read) -> None:
        self.read = read
        self.started = threading.Event()
        self.release = threading.Event()
        self.calls = 0

    def __call__(self):
        self.calls += 1
        value = self.read()
        self.started.set()
        assert self.release.wait(timeout=10), "the test never released the load"
        return value


def get_in_thread(cache: AccessKeyCache, key_id: str, load) -> threading.Thread:
    def run() -> None:
        try:
            cache.get(key_id, load)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    assert load.started.wait(timeout=10)
    return thread


def test_a_load_that_raced_a_forget_is_not_remembered():
    """A lookup under way while the client is forgotten is not kept: the next get looks the key up again."""
    cache = AccessKeyCache()
    load = BlockedLoad(lambda: SimpleNamespace(client_id="c1", revoked=False))
    thread = get_in_thread(cache, "k1", load)

    cache.forget_client("c1")
    load.release.set()
    thread.join(timeout=10)

    assert len(cache) == 0
    fresh = SimpleNamespace(client_id="c1", revoked=True)
    assert cache.get("k1", lambda: fresh) is fresh


def test_a_key_read_before_its_revocation_is_not_put_back(api, tenant):
    """A request that read the key just before another thread revoked it cannot make the key work again."""
    key_id = key_id_of(tenant.access_key)
    load = BlockedLoad(lambda: AccessKeySnapshot.of(access_key_find(key_id=key_id)))
    thread = get_in_thread(access_key_cache, key_id, load)

    access_key_revoke(client=tenant.client, key_id=key_id)
    load.release.set()
    thread.join(timeout=10)

    assert status_of(api, tenant) == 401


@pytest.mark.skipif(STORE == "mongodb", reason="atomic() is a no-op on django-mongodb-backend: a save is seen at once")
def test_a_key_remembered_while_its_revocation_was_uncommitted_is_forgotten_at_commit(api, tenant):
    """Until the revocation commits, other connections still read the key as live; the commit forgets what they found."""
    key_id = key_id_of(tenant.access_key)
    as_committed = AccessKeySnapshot.of(access_key_find(key_id=key_id))

    with transaction.atomic():
        access_key_revoke(client=tenant.client, key_id=key_id)
        # What a request on another connection would find and remember before the commit.
        access_key_cache.get(key_id, lambda: as_committed)

    assert status_of(api, tenant) == 401
