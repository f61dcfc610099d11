"""What happens to a client's webhooks: the webhooks events.

Published by webhooks.services and the webhook kind's hooks (webhooks.outbox); audit subscribes.
A webhook is named by its id, never by its URL (a receiver's URL may hold a token of its own).
"""

import uuid
from dataclasses import dataclass

from core.events import Event, Failure


@dataclass(frozen=True, kw_only=True)
class WebhookCreated(Event, name="webhook.created"):
    """A client added a webhook (`webhook_id`) for the webhook events in `events`."""

    webhook_id: uuid.UUID
    events: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class WebhookDeleted(Event, name="webhook.deleted"):
    """A client deleted a webhook: nothing more is sent to it, queued messages included."""

    webhook_id: uuid.UUID


@dataclass(frozen=True, kw_only=True)
class WebhookSecretRotated(Event, name="webhook.secret_rotated"):
    """A webhook's signing secret was replaced; the previous one signs too until `previous_expires_at`."""

    webhook_id: uuid.UUID
    previous_expires_at: str


@dataclass(frozen=True, kw_only=True)
class WebhookDisabled(Event, name="webhook.disabled"):
    """A webhook was disabled, after a run of failed deliveries (`consecutive_failures`) or by staff;
    its queued messages are discarded and no new ones are queued until it is enabled again."""

    webhook_id: uuid.UUID
    disabled_reason: str
    consecutive_failures: int


@dataclass(frozen=True, kw_only=True)
class WebhookEnabled(Event, name="webhook.enabled"):
    """Staff enabled a disabled webhook again; its run of failures starts from zero."""

    webhook_id: uuid.UUID


@dataclass(frozen=True, kw_only=True)
class WebhookDeliveryFailed(Failure, name="webhook.delivery_failed"):
    """A webhook message was given up on after its retries (a dead letter, for staff to retry)."""

    delivery_id: uuid.UUID
    webhook_id: uuid.UUID
    event_type: str
    attempts: int
    last_error: str  # the class of the last error, never the receiver's answer
    reason: str = "undelivered"
