"""Reads of the webhooks context: a client's webhooks, and what one of them was sent."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from core.pagination import Page, keyset_page
from core.queries import one_or_none
from delivery.models import Delivery, Status
from tenants.models import Client
from webhooks.models import Webhook, WebhookMessage


def webhook_list(*, client: Client) -> list[Webhook]:
    return list(Webhook.objects.filter(client=client).order_by("created_at", "webhook_id"))


def webhook_get(*, client: Client, webhook_id: uuid.UUID) -> Webhook | None:
    """The client's webhook of that id; another client's is None, as if it did not exist."""
    return one_or_none(Webhook.objects.filter(client=client, pk=webhook_id))


@dataclass(frozen=True)
class DeliveryRecord:
    """A message and how its delivery stands (the engine's row), as the client sees it."""

    delivery_id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    status: str
    attempts: int
    response_code: int | None
    error: str
    next_retry_at: datetime | None
    last_attempt_at: datetime | None
    created_at: datetime


def webhook_deliveries(*, webhook: Webhook, cursor: str | None = None, limit: int = 50) -> Page:
    """The webhook's messages, newest first, a page at a time, each with its delivery's state (two queries)."""
    page = keyset_page(
        WebhookMessage.objects.filter(webhook=webhook), time_field="created_at", id_field="delivery_id", cursor=cursor, limit=limit, newest_first=True
    )
    engine = Delivery.objects.in_bulk([message.pk for message in page.results])
    return Page(results=[_record(message, engine.get(message.pk)) for message in page.results], next_cursor=page.next_cursor)


def _record(message: WebhookMessage, delivery: Delivery | None) -> DeliveryRecord:
    status = delivery.status if delivery is not None else Status.DISCARDED
    return DeliveryRecord(
        delivery_id=message.pk,
        event_id=message.event_id,
        event_type=message.event_type,
        status=status,
        attempts=delivery.attempts if delivery is not None else 0,
        response_code=message.response_status,
        error=delivery.last_error if delivery is not None and status != Status.SENT else "",
        next_retry_at=delivery.next_attempt_at if delivery is not None and status == Status.PENDING else None,
        last_attempt_at=message.last_attempt_at,
        created_at=message.created_at,
    )
