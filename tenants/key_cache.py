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
from django.db import transaction

from tenants.models import AccessKey, Client

MAX_ENTRIES = 4096


@dataclass(frozen=True)
class ClientSnapshot:
    """A client row as it was read. JSON fields are kept as text, so that nothing in it can change."""

    client_id: uuid.UUID
    client_name: str
    industry: str
    is_active: bool
    require_email_verification: bool
    custom_fields_schema_json: str
    rate_limits_json: str
    created_at: datetime
    updated_at: datetime
    users_database: str
    db: str | None

    @classmethod
    def of(cls, client: Client) -> "ClientSnapshot":
        return cls(
            client_id=client.client_id,
            client_name=client.client_name,
            industry=client.industry,
            is_active=client.is_active,
            require_email_verification=client.require_email_verification,
            custom_fields_schema_json=json.dumps(client.custom_fields_schema),
            rate_limits_json=json.dumps(client.rate_limits),
            created_at=client.created_at,
            updated_at=client.updated_at,
            users_database=client.users_database,
            db=client._state.db,
        )

    def to_client(self) -> Client:
        """A new Client instance for one request: what the request does to it stays its own."""
        values = {
            "client_id": self.client_id,
            "client_name": self.client_name,
            "industry": self.industry,
            "is_active": self.is_active,
            "require_email_verification": self.require_email_verification,
            "custom_fields_schema": json.loads(self.custom_fields_schema_json),
            "rate_limits": json.loads(self.rate_limits_json),
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "users_database": self.users_database,
        }
        # from_db marks it as a saved row of `db`; a field added to Client later is loaded on access.
        fields = [field.attname for field in Client._meta.concrete_fields if field.attname in values]
        return Client.from_db(self.db, fields, [values[name] for name in fields])


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
