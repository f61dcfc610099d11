"""Subscribers to the event catalog: the events a client's webhooks may receive become messages.

Subscribed in WebhooksConfig.ready to every event that names a webhook (core.events.webhook_events).
They run in the request that published the event, so they do little: for a client without a
webhook for it, a lookup in this process's memory (webhooks.subscriptions); otherwise one message
and one delivery row per webhook, its job enqueued when the transaction commits. No receiver is
contacted here: a slow or dead one never delays the request. Nor does a failure here fail it: the
event happened whatever becomes of its messages, so the failure is logged.
"""

import logging

from core.events import Event, subscribe, webhook_events
from webhooks import services
from webhooks.subscriptions import webhook_subscriptions

logger = logging.getLogger("authsvc.webhooks")


def event_to_webhooks(event: Event) -> None:
    if event.client_id is None:
        return
    try:
        subscribed = webhook_subscriptions.get(event.client_id)
        webhook_ids = subscribed.webhook_ids_for(event.webhook)
        if webhook_ids:
            services.webhook_event_queue(client=subscribed.client.to_client(), event=event, webhook_ids=webhook_ids)
    except Exception as error:  # noqa: BLE001 - the request answers what happened either way
        logger.error("webhook messages of %s for client %s not queued: %s", event.name, event.client_id, error.__class__.__name__)


def connect() -> None:
    for event_types in webhook_events().values():
        for event_type in event_types:
            subscribe(event_type, event_to_webhooks)
