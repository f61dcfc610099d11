"""Helpers of the hardening tests: what every error answer on /api/ looks like; outages of the stores."""

import copy
import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django_redis.cache import RedisCache

from tests.stores import free_port


def assert_json_error(response, status: int, error: str | None = None, *, context: str = "") -> dict:
    """The JSON error envelope with `status`: `error` and `detail`, never HTML, never a stack trace."""
    where = f"{context}: " if context else ""
    assert response.status_code == status, f"{where}{response.status_code} {response.content[:300]!r}"
    assert response["Content-Type"].startswith("application/json"), f"{where}{response['Content-Type']}"
    body = response.json()
    assert isinstance(body.get("error"), str) and isinstance(body.get("detail"), str), f"{where}{body}"
    if error is not None:
        assert body["error"] == error, f"{where}{body}"
    assert b"Traceback" not in response.content and b"<html" not in response.content.lower()
    return body


# --- a store that goes down and comes back ------------------------------------------------


@dataclass
class StoreSwitch:
    """Points the default connection at a dead endpoint and back, as an outage would, in-process.

    MongoDB: a closed loopback port with a 300 ms server selection timeout (the MongoClient
    is a pool, so it is dropped to take the new address). SQLite: a file in a directory that
    does not exist. The in-memory SQLite test database lives only while a connection to it
    is open, so one extra connection keeps it alive while Django's is pointed elsewhere.
    """

    connection: BaseDatabaseWrapper
    original: dict
    keepalive: sqlite3.Connection | None = None
    is_down: bool = False

    def down(self) -> None:
        settings_dict = self.connection.settings_dict
        if self.connection.vendor == "sqlite":
            if self.keepalive is None and self.connection.is_in_memory_db():
                self.keepalive = sqlite3.connect(settings_dict["NAME"], uri=True)
            settings_dict["NAME"] = str(Path(tempfile.gettempdir()) / "no-such-directory" / "authsvc.sqlite3")
        else:
            settings_dict["HOST"] = f"mongodb://127.0.0.1:{free_port()}"
            settings_dict["OPTIONS"] = {**settings_dict["OPTIONS"], "serverSelectionTimeoutMS": 300}
        self._drop_connection()
        self.is_down = True

    def up(self) -> None:
        self.connection.settings_dict.clear()
        self.connection.settings_dict.update(copy.deepcopy(self.original))
        self._drop_connection()
        self.is_down = False

    def _drop_connection(self) -> None:
        if self.connection.vendor == "mongodb":
            self.connection.close_pool()
        else:
            self.connection.close()

    def close(self) -> None:
        if self.is_down:
            self.up()
        if self.keepalive is not None:
            self.connection.ensure_connection()  # the database must outlive the keep-alive connection
            self.keepalive.close()


class CacheSwitch:
    """Swaps the shared cache (the rate-limit counters) for a Redis client of a closed port, and back."""

    def __init__(self) -> None:
        self.original: BaseCache | None = None

    def down(self) -> None:
        self.original = caches["default"]
        dead = f"redis://127.0.0.1:{free_port()}/0"
        caches["default"] = RedisCache(dead, {"OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.3, "SOCKET_TIMEOUT": 0.3}})

    def up(self) -> None:
        if self.original is not None:
            caches["default"] = self.original
            self.original = None

    close = up


@pytest.fixture
def store(transactional_db) -> Iterator[StoreSwitch]:
    connection = connections["default"]
    switch = StoreSwitch(connection, copy.deepcopy(connection.settings_dict))
    yield switch
    switch.close()


@pytest.fixture
def cache_store() -> Iterator[CacheSwitch]:
    switch = CacheSwitch()
    yield switch
    switch.close()
