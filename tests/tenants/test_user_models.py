"""The per-client user model factory: one class per client, isolated, in a bounded thread-safe LRU."""

import gc
import threading
import time
import uuid
import weakref

import pytest
from django.apps import apps

from tenants import user_models
from tenants.models import AbstractTenantUser, Client
from tenants.user_models import user_model_cache, user_model_for


@pytest.fixture
def small_cache():
    """The shared cache shrunk to 3 classes for the test, restored afterwards."""
    original = user_model_cache.maxsize
    user_model_cache.clear()
    user_model_cache.resize(3)
    yield user_model_cache
    user_model_cache.resize(original)


def test_second_call_returns_the_same_class():
    """Asking twice for one client (as UUID or string) gives the very same class."""
    client_id = uuid.uuid4()

    assert user_model_for(client_id) is user_model_for(client_id)
    assert user_model_for(str(client_id)) is user_model_for(client_id)


def test_each_client_gets_its_own_class_and_table():
    """Two clients get two distinct classes named after them, with db_table users_<hex>."""
    a, b = uuid.uuid4(), uuid.uuid4()
    model_a, model_b = user_model_for(a), user_model_for(b)

    assert model_a is not model_b
    assert model_a._meta.db_table == f"users_{a.hex}"
    assert model_b._meta.db_table == f"users_{b.hex}"
    assert issubclass(model_a, AbstractTenantUser)
    assert [field.name for field in model_a._meta.fields] == [
        "user_id", "email", "password_hash", "custom_fields", "email_verified", "is_active", "token_generation",
        "mfa", "mfa_revision", "created_at", "updated_at",
    ]


def test_models_stay_out_of_the_global_registry():
    """Built classes never appear in django.apps, however many are built."""
    built = {user_model_for(uuid.uuid4()) for _ in range(5)}

    registered = set(apps.get_models(include_auto_created=True))
    assert not built & registered
    assert not any(getattr(model, "is_tenant_user_model", False) for model in registered)
    assert "tenant_users" not in apps.all_models


def test_cache_is_bounded(small_cache):
    """Building 5 classes with room for 3 keeps the 3 most recent."""
    client_ids = [uuid.uuid4() for _ in range(5)]
    for client_id in client_ids:
        user_model_for(client_id)

    assert len(small_cache) == 3
    assert [client_id in small_cache for client_id in client_ids] == [False, False, True, True, True]


def test_cache_evicts_the_least_recently_used(small_cache):
    """A class asked for recently survives; the one unused longest is evicted."""
    first, second, third, fourth = (uuid.uuid4() for _ in range(4))
    for client_id in (first, second, third):
        user_model_for(client_id)

    user_model_for(first)
    user_model_for(fourth)

    assert first in small_cache
    assert second not in small_cache
    assert third in small_cache and fourth in small_cache


def test_evicted_class_is_freed(small_cache):
    """Once evicted, a class is garbage-collected: nothing else keeps it alive."""
    client_id = uuid.uuid4()
    ref = weakref.ref(user_model_for(client_id))
    for _ in range(3):
        user_model_for(uuid.uuid4())
    assert client_id not in small_cache

    gc.collect()

    assert ref() is None


def test_rebuilt_class_after_eviction_uses_the_same_table(small_cache):
    """A client whose class was evicted gets a fresh class for the same table."""
    client_id = uuid.uuid4()
    table = user_model_for(client_id)._meta.db_table
    for _ in range(3):
        user_model_for(uuid.uuid4())

    assert user_model_for(client_id)._meta.db_table == table


def test_concurrent_first_calls_agree_on_one_class(monkeypatch):
    """Eight threads asking at once for a new client all get one and the same class."""
    real_build = user_models._build_user_model

    def slow_build(*args):
        # Widen the window in which every thread is building, so that a race would show.
        time.sleep(0.02)
        return real_build(*args)

    monkeypatch.setattr(user_models, "_build_user_model", slow_build)
    client_id = uuid.uuid4()
    start = threading.Barrier(8)
    results: list[type] = []
    lock = threading.Lock()

    def ask():
        start.wait()
        model = user_model_for(client_id)
        with lock:
            results.append(model)

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert len(results) == 8
    assert len({id(model) for model in results}) == 1
    assert user_model_for(client_id) is results[0]


def placed(client_id: uuid.UUID, users_database: str) -> Client:
    return Client(client_id=client_id, client_name="Placed", industry="SaaS", users_database=users_database)


def test_a_class_carries_the_database_its_clients_record_names():
    """Built from a client, the class says where its users live; asked again by id alone, the same class."""
    client = placed(uuid.uuid4(), "tenants")

    model = user_model_for(client)

    assert model.users_database == "tenants"
    assert user_model_for(client.client_id) is model
    assert user_model_for(client) is model


def test_a_client_placed_elsewhere_gets_a_class_routed_there():
    """When the record names another database than the cached class, the class is rebuilt for it."""
    client_id = uuid.uuid4()
    before = user_model_for(placed(client_id, "default"))

    after = user_model_for(placed(client_id, "tenants"))

    assert (before.users_database, after.users_database) == ("default", "tenants")
    assert user_model_for(client_id) is after
