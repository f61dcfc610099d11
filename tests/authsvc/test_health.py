"""Liveness and readiness probes, readiness against really unreachable stores."""

import copy
import socket

import pytest
from django.db import connections


def assert_not_ready(response, down: str) -> dict:
    assert response.status_code == 503
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["error"] == "service_unavailable"
    assert body["detail"]
    assert body["checks"][down] == "down"
    return body


def _detach(connection):
    """Drop the wrapper's live connection, returning what must be kept to restore it.

    The SQLite test database lives in shared memory and vanishes with its last connection,
    so that one is set aside rather than closed; MongoDB's client is a pool, closed outright.
    """
    if connection.vendor == "mongodb":
        connection.close_pool()
        return None
    raw, connection.connection = connection.connection, None
    return raw


@pytest.fixture
def closed_port():
    """A loopback port that refuses connections: bound (so no other process can take it), never listening."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def _dead_endpoint(connection, port: int, tmp_path) -> dict:
    if connection.vendor == "mongodb":
        # A short server selection so the probe answers quickly.
        return {
            "HOST": f"mongodb://127.0.0.1:{port}/{connection.settings_dict['NAME']}",
            "OPTIONS": {"serverSelectionTimeoutMS": 300, "connectTimeoutMS": 300},
        }
    return {"NAME": str(tmp_path / "no-such-directory" / "db.sqlite3")}


@pytest.fixture
def unreachable_database(transactional_db, closed_port, tmp_path):
    """Point the default connection at a store that is not there; restore it afterwards."""
    connection = connections["default"]
    saved_settings = copy.deepcopy(connection.settings_dict)
    kept = _detach(connection)
    connection.settings_dict.update(_dead_endpoint(connection, closed_port, tmp_path))
    yield
    _detach(connection)
    connection.settings_dict.clear()
    connection.settings_dict.update(saved_settings)
    if kept is not None:
        connection.connection = kept


@pytest.fixture
def unreachable_cache(settings, closed_port):
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port}/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.3, "SOCKET_TIMEOUT": 0.3},
        }
    }


def test_healthz_answers_ok(api):
    """/healthz answers 200 without touching any dependency."""
    response = api.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_answers_ok_with_each_check(api):
    """/readyz answers 200 and reports the database and cache as ok."""
    response = api.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "cache": "ok"}}


def test_readyz_reports_an_unreachable_database(api, unreachable_database):
    """With the database unreachable /readyz answers 503 JSON naming the database."""
    body = assert_not_ready(api.get("/readyz"), "database")

    assert body["checks"]["cache"] == "ok"


@pytest.mark.django_db
def test_readyz_reports_an_unreachable_cache(api, unreachable_cache):
    """With the cache unreachable /readyz answers 503 JSON naming the cache."""
    body = assert_not_ready(api.get("/readyz"), "cache")

    assert body["checks"]["database"] == "ok"


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_refuse_writes(api, path):
    """The probes answer GET only."""
    assert api.post(path).status_code == 405
