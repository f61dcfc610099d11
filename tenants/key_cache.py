"""A short-lived, per-process memory of access keys (with their client) that authenticated.

Every API call authenticates its key, and the lookup (a join of `access_keys` and `clients`)
was the largest part of a verify. Remembering a found key for a few seconds removes it from
the hot path. What that costs, and how it is bounded:
- a change made in this process (revoke, rotate, deactivate, any model save or delete)
  forgets the client's keys at once, and a lookup that was already under way when the change
  happened is not remembered (it may have read the row as it was before);
- a change made by another process (another worker, a `manage.py` run) applies here within
  AUTHSVC_ACCESS_KEY_CACHE_SECONDS (default 5; 0 turns the memory off);
- only keys that exist are remembered, so guessed key ids cannot fill it; it holds at most
  MAX_ENTRIES and drops the least recently used.
The secret is still checked against the remembered hash on every call.

Worker threads share this memory, so it holds frozen snapshots, never ORM objects: a request
that changed a remembered object would change it for every other request. Each request gets
its own Client instance, built from the snapshot without a query.
"""

import json
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import NamedTuple

from django.conf import settings
from django.db import models, transaction

from tenants.models import AccessKey, Client

MAX_ENTRIES = 4096


# Computed once: the snapshot carries every concrete field of Client, so a field added to the
# model later is in it without an edit here, and never loaded by a query on access
# (tests/tenants/test_client_snapshot.py).
_FIELDS = tuple(Client._meta.concrete_fields)
_ATTNAMES = tuple(field.attname for field in _FIELDS)
_PK_AT = _FIELDS.index(Client._meta.pk)
# JSON values (dicts, lists) are the only mutable ones a Client holds (a test checks it): they are kept as text.
_JSON_FIELDS = tuple((at, field) for at, field in enumerate(_FIELDS) if isinstance(field, models.JSONField))


@dataclass(frozen=True)
class ClientSnapshot:
    """A client row as it was read: every concrete field's value, in `Client._meta.concrete_fields`
    order, JSON fields as text, so that nothing in it can change."""

    values: tuple
    db: str | None

    @property
    def client_id(self) -> uuid.UUID:
        return self.values[_PK_AT]

    @classmethod
    def of(cls, client: Client) -> "ClientSnapshot":
        values = [getattr(client, name) for name in _ATTNAMES]
        for at, field in _JSON_FIELDS:
            values[at] = json.dumps(values[at], cls=field.encoder)
        return cls(tuple(values), client._state.db)

    def to_client(self) -> Client:
        """A new Client instance for one request: what the request does to it stays its own."""
        values = list(self.values)
        for at, field in _JSON_FIELDS:
            values[at] = json.loads(values[at], cls=field.decoder)
        # from_db marks it as a saved row of `db`, with every field loaded: none is deferred.
        return Client.from_db(self.db, _ATTNAMES, values)


@dataclass(frozen=True)
class AccessKeySnapshot:
    """What authenticating a call needs of an access key row, and its client."""

    pk: uuid.UUID
    key_id: str
    secret_hash: str
    revoked: bool
    last_used_at: datetime | None
    client: ClientSnapshot

    @property
    def client_id(self) -> uuid.UUID:
        return self.client.client_id

    @classmethod
    def of(cls, key: AccessKey) -> "AccessKeySnapshot":
        return cls(
            pk=key.pk,
            key_id=key.key_id,
            secret_hash=key.secret_hash,
            revoked=key.revoked_at is not None,
            last_used_at=key.last_used_at,
            client=ClientSnapshot.of(key.client),
        )


class _Entry(NamedTuple):
    loaded_at: float
    value: "AccessKeySnapshot"


class AccessKeyCache:
    def __init__(self, maxsize: int = MAX_ENTRIES, clock: Callable[[], float] = time.monotonic):
        self.maxsize = maxsize
        self.clock = clock
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._lock = threading.Lock()
        # Bumped by every forget. A load remembers its result only if no forget happened while
        # it ran: otherwise it may hold a row read before a revocation. One counter for all
        # clients: forgets are rare (saves), and a spoiled load only costs one more lookup.
        self._generation = 0

    def get(self, key_id: str, load: Callable[[], AccessKeySnapshot | None]) -> AccessKeySnapshot | None:
        ttl = settings.AUTHSVC_ACCESS_KEY_CACHE_SECONDS
        if ttl <= 0:
            return load()
        now = self.clock()
        with self._lock:
            entry = self._entries.get(key_id)
            if entry is not None and now - entry.loaded_at < ttl:
                self._entries.move_to_end(key_id)
                return entry.value
            generation = self._generation
        value = load()
        if value is not None:
            self._remember(key_id, _Entry(now, value), generation)
        return value

    def _remember(self, key_id: str, entry: _Entry, generation: int) -> None:
        with self._lock:
            if generation != self._generation:
                return
            self._entries[key_id] = entry
            self._entries.move_to_end(key_id)
            while len(self._entries) > self.maxsize:
                self._entries.popitem(last=False)

    def note_used(self, key: AccessKeySnapshot, at: datetime) -> None:
        """The remembered `key` now carries last_used_at=`at`, so later calls need not stamp it again."""
        with self._lock:
            entry = self._entries.get(key.key_id)
            if entry is not None and entry.value is key:
                self._entries[key.key_id] = entry._replace(value=replace(key, last_used_at=at))

    def forget_client(self, client_id: uuid.UUID) -> None:
        with self._lock:
            self._generation += 1
            stale = [key_id for key_id, entry in self._entries.items() if entry.value.client_id == client_id]
            for key_id in stale:
                del self._entries[key_id]

    def clear(self) -> None:
        with self._lock:
            self._generation += 1
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


access_key_cache = AccessKeyCache()


def forget_saved_or_deleted(sender, instance, using=None, **kwargs) -> None:
    """post_save / post_delete of a Client or an AccessKey: this process forgets its keys.

    Once now, and again at commit: until then other connections still read the old row,
    and a lookup in between could remember it.
    """
    client_id = instance.client_id
    access_key_cache.forget_client(client_id)
    transaction.on_commit(lambda: access_key_cache.forget_client(client_id), using=using)
