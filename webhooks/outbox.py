"""Webhook messages as one kind of delivery (the engine: delivery.services; docs/architecture.md).

When a message's turn comes, the worker asks `webhook_message` whether it is still wanted (its
webhook may have been deleted, disabled, or unsubscribed from the event meanwhile), then
`webhook_post` sends it, signed per the Standard Webhooks specification: the same body and
`webhook-id` (the delivery's id) on every attempt, a fresh `webhook-timestamp` and signatures
with every live secret. The POST goes through delivery.safe_http, which checks the destination
again at each attempt (DNS may have changed since the webhook was created), connects to the
address it checked, follows no redirect, stops at the timeout and reads a bounded answer.
A 2xx answer delivers it; anything else, or none, is a failed attempt the engine retries with
its jittered backoff. A message never delivered by its give-up time is announced as failed.
"""

import json
import time
import uuid
from datetime import UTC

from django.conf import settings
from django.utils import timezone

from core.events import publish
from core.queries import one_or_none
from delivery.kinds import Policy, register_kind
from delivery.models import Delivery
from delivery.safe_http import safe_post
from webhooks import services
from webhooks.events import WebhookDeliveryFailed
from webhooks.models import KIND, Webhook, WebhookMessage
from webhooks.signing import secret_usable, signature_header


class WebhookRefused(Exception):
    """The receiver answered, but not with a 2xx status (the engine records this class's name)."""


def webhook_message(delivery: Delivery) -> WebhookMessage | None:
    # Two reads by primary key rather than a join: SecantusDB runs a $lookup before its $match.
    message = one_or_none(WebhookMessage.objects.filter(pk=delivery.pk))
    webhook = one_or_none(Webhook.objects.filter(pk=message.webhook_id)) if message is not None else None
    if webhook is None or not webhook.is_enabled or message.event_type not in webhook.events:
        return None
    message.webhook = webhook
    return message


def message_body(message: WebhookMessage) -> bytes:
    """The bytes sent on every attempt: the event's webhook name, when it happened, its data."""
    moment = message.timestamp.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return json.dumps({"type": message.event_type, "timestamp": moment, "data": message.data}, separators=(",", ":")).encode()


def live_secrets(webhook: Webhook) -> list[str]:
    """The current secret, and the previous one while its overlap lasts."""
    secrets = [secret_usable(webhook.secret)]
    if webhook.previous_secret and webhook.previous_secret_expires_at and webhook.previous_secret_expires_at > timezone.now():
        secrets.append(secret_usable(webhook.previous_secret))
    return secrets


def signed_headers(webhook: Webhook, *, message_id: str, body: bytes) -> dict[str, str]:
    timestamp = int(time.time())
    return {
        "Content-Type": "application/json",
        "User-Agent": "authsvc-webhooks",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature_header(live_secrets(webhook), message_id=message_id, timestamp=timestamp, body=body),
    }


def webhook_post(delivery: Delivery, message: WebhookMessage) -> None:
    body = message_body(message)
    headers = signed_headers(message.webhook, message_id=str(delivery.delivery_id), body=body)
    try:
        response = safe_post(message.webhook.url, body=body, headers=headers, timeout=settings.AUTHSVC_WEBHOOK_TIMEOUT_SECONDS)
    except Exception:
        services.webhook_attempt_failed(message=message, response=None)
        raise  # the engine records the error's class and retries
    if not 200 <= response.status < 300:
        services.webhook_attempt_failed(message=message, response=response)
        raise WebhookRefused(f"the receiver answered {response.status}")
    services.webhook_attempt_succeeded(message=message, response=response)


def webhook_given_up(delivery: Delivery) -> None:
    """Announce a message never delivered by its give-up time (audit records it as `webhook_delivery`)."""
    publish(
        WebhookDeliveryFailed(
            client_id=delivery.client_id,
            delivery_id=delivery.delivery_id,
            webhook_id=uuid.UUID(delivery.payload["webhook_id"]),
            event_type=delivery.topic,
            attempts=delivery.attempts,
            last_error=delivery.last_error,
        )
    )


def webhook_policy() -> Policy:
    return Policy.from_settings("AUTHSVC_WEBHOOK")


def register() -> None:
    """Called by WebhooksConfig.ready: the engine delivers kind "webhook" with these hooks."""
    register_kind(KIND, wanted=webhook_message, send=webhook_post, on_give_up=webhook_given_up, policy=webhook_policy)
