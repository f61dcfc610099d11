"""Which enabled webhooks a client has, remembered per process for a few seconds.

Every login, failed login and sign-up publishes an event that webhooks may want, and nearly every
client has no webhook: asking the store each time would add a query to every login. So a process
remembers, per client, its enabled webhooks and the events each subscribes to (and, for a client
that has some, a snapshot of its record: building the message needs it). How stale it may be:
- a change made in this process (create, delete, disable, enable) forgets the client at once, and a
  lookup already under way when it happened is not remembered;
- a change made by another process applies here within AUTHSVC_WEBHOOK_CACHE_SECONDS (default 5;
  0 turns the memory off). An event published meanwhile may still be queued for a webhook just
  deleted or disabled (the worker then discards it: webhooks.outbox asks again), or missed by one
  created in the last seconds.
Worker threads share it: entries are frozen, never ORM objects.
"""

import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass

from django.conf import settings

from core.queries import one_or_none
from tenants.key_cache import ClientSnapshot
from tenants.models import Client
from webhooks.models import Webhook

MAX_ENTRIES = 4096


@dataclass(frozen=True)
class Subscriptions:
    client: ClientSnapshot | None  # None when the client has no enabled webhook
    webhooks: tuple[tuple[uuid.UUID, frozenset[str]], ...]  # (webhook_id, its event names)

    def webhook_ids_for(self, event_name: str) -> list[uuid.UUID]:
        return [webhook_id for webhook_id, events in self.webhooks if event_name in events]


NONE = Subscriptions(client=None, webhooks=())


class SubscriptionCache:
    def __init__(self) -> None:
        self._entries: OrderedDict[uuid.UUID, tuple[float, Subscriptions]] = OrderedDict()
        self._lock = threading.Lock()
        self._changes = 0  # counts forgets: a lookup that saw one happen is not remembered

    def get(self, client_id: uuid.UUID) -> Subscriptions:
        now = time.monotonic()
        with self._lock:
            entry = self._entries.get(client_id)
            if entry is not None and entry[0] > now:
                self._entries.move_to_end(client_id)
                return entry[1]
            changes = self._changes
        found = _load(client_id)
        seconds = settings.AUTHSVC_WEBHOOK_CACHE_SECONDS
        with self._lock:
            if seconds and changes == self._changes:
                self._entries[client_id] = (now + seconds, found)
                self._entries.move_to_end(client_id)
                while len(self._entries) > MAX_ENTRIES:
                    self._entries.popitem(last=False)
        return found

    def forget(self, client_id: uuid.UUID) -> None:
        with self._lock:
            self._entries.pop(client_id, None)
            self._changes += 1

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._changes += 1


def _load(client_id: uuid.UUID) -> Subscriptions:
    webhooks = tuple(
        (webhook_id, frozenset(events))
        for webhook_id, events in Webhook.objects.filter(client_id=client_id, is_enabled=True).order_by().values_list("webhook_id", "events")
    )
    if not webhooks:
        return NONE
    client = one_or_none(Client.objects.filter(pk=client_id))
    return Subscriptions(client=ClientSnapshot.of(client), webhooks=webhooks) if client is not None else NONE


webhook_subscriptions = SubscriptionCache()
