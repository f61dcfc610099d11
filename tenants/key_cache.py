"""A short-lived, per-process memory of access keys (with their client) that authenticated.

Every API call authenticates its key, and the lookup (a join of `access_keys` and `clients`)
was the largest part of a verify. Remembering a found key for a few seconds removes it from
the hot path. What that costs, and how it is bounded:
- a change made in this process (revoke, rotate, deactivate, any model save or delete)
  forgets the client's keys at once;
- a change made by another process (another worker, a `manage.py` run) applies here within
  AUTHSVC_ACCESS_KEY_CACHE_SECONDS (default 5; 0 turns the memory off);
- only keys that exist are remembered, so guessed key ids cannot fill it; it holds at most
  MAX_ENTRIES and drops the least recently used.
The secret is still checked against the remembered hash on every call.
"""

import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable

from django.conf import settings

from tenants.models import AccessKey

MAX_ENTRIES = 4096


class AccessKeyCache:
    def __init__(self, maxsize: int = MAX_ENTRIES, clock: Callable[[], float] = time.monotonic):
        self.maxsize = maxsize
        self.clock = clock
        self._entries: OrderedDict[str, tuple[float, AccessKey]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key_id: str, load: Callable[[], AccessKey | None]) -> AccessKey | None:
        ttl = settings.AUTHSVC_ACCESS_KEY_CACHE_SECONDS
        if ttl <= 0:
            return load()
        now = self.clock()
        with self._lock:
            entry = self._entries.get(key_id)
            if entry is not None and now - entry[0] < ttl:
                self._entries.move_to_end(key_id)
                return entry[1]
        key = load()
        if key is not None:
            self._remember(key_id, now, key)
        return key

    def _remember(self, key_id: str, loaded_at: float, key: AccessKey) -> None:
        with self._lock:
            self._entries[key_id] = (loaded_at, key)
            self._entries.move_to_end(key_id)
            while len(self._entries) > self.maxsize:
                self._entries.popitem(last=False)

    def forget_client(self, client_id: uuid.UUID) -> None:
        with self._lock:
            stale = [key_id for key_id, (_, key) in self._entries.items() if key.client_id == client_id]
            for key_id in stale:
                del self._entries[key_id]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


access_key_cache = AccessKeyCache()


def forget_saved_or_deleted(sender, instance, **kwargs) -> None:
    """post_save / post_delete of a Client or an AccessKey: this process forgets its keys."""
    access_key_cache.forget_client(instance.client_id)
