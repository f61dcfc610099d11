"""Writes of the webhooks context: a client's webhooks, their messages, and what each attempt got.

The API, the admin's actions and the kind's hooks (webhooks.outbox) call these, so the surfaces
cannot disagree. A change to which webhooks a client has is forgotten by this process's
subscription memory at once (webhooks.subscriptions).
"""

import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import router, transaction
from django.utils import timezone

from accounts.selectors import user_get
from core.events import Event, publish
from core.queries import one_or_none
from core.request_meta import RequestMeta
from delivery.models import Delivery
from delivery.safe_http import SafeResponse, destination_check
from delivery.services import delivery_queue
from tenants.models import Client
from webhooks.errors import WebhookLimitReached
from webhooks.events import WebhookCreated, WebhookDeleted, WebhookDisabled, WebhookEnabled, WebhookSecretRotated
from webhooks.models import KIND, RESPONSE_EXCERPT_LENGTH, Webhook, WebhookMessage
from webhooks.signing import secret_generate, secret_stored
from webhooks.subscriptions import webhook_subscriptions

MAX_WEBHOOKS_PER_CLIENT = 10
# How long the secret a rotation replaced keeps signing beside the new one.
ROTATION_OVERLAP = timedelta(hours=24)


@dataclass(frozen=True)
class WebhookWithSecret:
    webhook: Webhook
    secret: str  # shown to the client once, in the answer that created it


def _forget(client_id: uuid.UUID) -> None:
    # Now, and again once the change is committed: a lookup between the two read the old rows.
    webhook_subscriptions.forget(client_id)
    transaction.on_commit(lambda: webhook_subscriptions.forget(client_id))


def webhook_create(
    *, client: Client, url: str, events: list[str], description: str = "", request_meta: RequestMeta | None = None
) -> WebhookWithSecret:
    """A new webhook; its URL must be one the service may send to now (delivery.safe_http: else
    UnsafeDestination, a 400 naming `url`, the same text whatever address it resolved to)."""
    destination_check(url)
    if Webhook.objects.filter(client=client).count() >= MAX_WEBHOOKS_PER_CLIENT:
        raise WebhookLimitReached()
    secret = secret_generate()
    webhook = Webhook.objects.create(client=client, url=url, events=list(events), description=description, secret=secret_stored(secret))
    _forget(client.client_id)
    publish(WebhookCreated(client_id=client.client_id, request_meta=request_meta, webhook_id=webhook.webhook_id, events=tuple(events)))
    return WebhookWithSecret(webhook=webhook, secret=secret)


def webhook_delete(*, webhook: Webhook, request_meta: RequestMeta | None = None) -> None:
    """Delete it and its messages; the engine discards its queued deliveries when their turn comes."""
    Webhook.objects.filter(pk=webhook.pk).delete()
    _forget(webhook.client_id)
    publish(WebhookDeleted(client_id=webhook.client_id, request_meta=request_meta, webhook_id=webhook.webhook_id))


def webhook_secret_rotate(*, webhook: Webhook, request_meta: RequestMeta | None = None) -> WebhookWithSecret:
    """A new secret; the one it replaces signs too for ROTATION_OVERLAP (a second rotation within
    it ends the first secret's overlap: two secrets sign at most)."""
    secret = secret_generate()
    expires_at = timezone.now() + ROTATION_OVERLAP
    webhook.previous_secret, webhook.previous_secret_expires_at = webhook.secret, expires_at
    webhook.secret = secret_stored(secret)
    Webhook.objects.filter(pk=webhook.pk).update(
        secret=webhook.secret, previous_secret=webhook.previous_secret, previous_secret_expires_at=expires_at
    )
    publish(
        WebhookSecretRotated(
            client_id=webhook.client_id,
            request_meta=request_meta,
            webhook_id=webhook.webhook_id,
            previous_expires_at=expires_at.isoformat(timespec="seconds"),
        )
    )
    return WebhookWithSecret(webhook=webhook, secret=secret)


def webhook_disable(*, webhook: Webhook, reason: str, request_meta: RequestMeta | None = None) -> bool:
    """Stop sending to it (queued messages are discarded at their turn); False if it was disabled."""
    now = timezone.now()
    changed = Webhook.objects.filter(pk=webhook.pk, is_enabled=True).update(is_enabled=False, disabled_reason=reason[:200], disabled_at=now)
    if changed:
        _forget(webhook.client_id)
        publish(
            WebhookDisabled(
                client_id=webhook.client_id,
                request_meta=request_meta,
                webhook_id=webhook.webhook_id,
                disabled_reason=reason[:200],
                consecutive_failures=webhook.consecutive_failures,
            )
        )
    return bool(changed)


def webhook_enable(*, webhook: Webhook, request_meta: RequestMeta | None = None) -> bool:
    """Send to it again, its run of failures forgotten; False if it was enabled."""
    changed = Webhook.objects.filter(pk=webhook.pk, is_enabled=False).update(
        is_enabled=True, disabled_reason="", disabled_at=None, consecutive_failures=0, failing_since=None
    )
    if changed:
        _forget(webhook.client_id)
        publish(WebhookEnabled(client_id=webhook.client_id, request_meta=request_meta, webhook_id=webhook.webhook_id))
    return bool(changed)


# --- events become messages ------------------------------------------------------------------


def webhook_event_queue(*, client: Client, event: Event, webhook_ids: list[uuid.UUID]) -> list[WebhookMessage]:
    """One message per webhook for `event`, each a delivery of the engine, enqueued at commit.

    The message is written before the transaction ends, and the engine enqueues its delivery only
    then: a worker never meets a delivery whose message is not written yet, on any store.
    """
    event_id, now = uuid.uuid4(), timezone.now()
    data = event_data(client=client, event=event)
    messages = []
    with transaction.atomic(using=router.db_for_write(Delivery)):
        for webhook_id in webhook_ids:
            payload = {"event_id": str(event_id), "webhook_id": str(webhook_id)}
            delivery = delivery_queue(client=client, kind=KIND, topic=event.webhook, target=str(webhook_id), payload=payload)
            messages.append(
                WebhookMessage.objects.create(
                    delivery=delivery, webhook_id=webhook_id, event_id=event_id, event_type=event.webhook, timestamp=now, data=data
                )
            )
    return messages


def event_data(*, client: Client, event: Event) -> dict:
    """The `data` of a webhook message: who, where from, and the fields the event names for webhooks.

    Never a secret: the event's payload has none (core.events), and the email is the user's own."""
    meta = event.request_meta
    user = user_get(client=client, user_id=event.user_id) if event.user_id is not None else None
    data = {
        "client_id": str(client.client_id),
        "user_id": str(event.user_id) if event.user_id is not None else None,
        "email": user.email if user is not None else None,
        "ip": meta.ip_address if meta is not None else None,
        "user_agent": meta.user_agent if meta is not None else None,
    }
    for name in event.webhook_fields:
        value = getattr(event, name)
        data[name] = str(value) if isinstance(value, uuid.UUID) else (list(value) if isinstance(value, tuple) else value)
    return data


# --- what attempts got -------------------------------------------------------------------------


def webhook_attempt_succeeded(*, message: WebhookMessage, response: SafeResponse) -> None:
    _record(message, response)
    Webhook.objects.filter(pk=message.webhook_id, consecutive_failures__gt=0).update(consecutive_failures=0, failing_since=None)


def webhook_attempt_failed(*, message: WebhookMessage, response: SafeResponse | None) -> None:
    """Record a failed attempt (an answer other than 2xx, or none); a long enough run disables the webhook."""
    _record(message, response)
    webhook = _failure_counted(message.webhook_id)
    if webhook is None or webhook.consecutive_failures < settings.AUTHSVC_WEBHOOK_DISABLE_AFTER_FAILURES:
        return
    if timezone.now() - webhook.failing_since >= timedelta(seconds=settings.AUTHSVC_WEBHOOK_DISABLE_AFTER_SECONDS):
        since = webhook.failing_since.strftime("%Y-%m-%d %H:%M UTC")
        webhook_disable(webhook=webhook, reason=f"{webhook.consecutive_failures} failed deliveries in a row since {since}")


def _failure_counted(webhook_id: uuid.UUID) -> Webhook | None:
    """Add one to the webhook's run of failures: a conditional update (no store-specific increment),
    tried again when a concurrent attempt changed the count first."""
    now = timezone.now()
    for _ in range(10):
        webhook = one_or_none(Webhook.objects.filter(pk=webhook_id))
        if webhook is None:
            return None
        failures, since = webhook.consecutive_failures + 1, webhook.failing_since or now
        if Webhook.objects.filter(pk=webhook_id, consecutive_failures=webhook.consecutive_failures).update(
            consecutive_failures=failures, failing_since=since
        ):
            webhook.consecutive_failures, webhook.failing_since = failures, since
            return webhook
    return None


def _record(message: WebhookMessage, response: SafeResponse | None) -> None:
    WebhookMessage.objects.filter(pk=message.pk).update(
        response_status=response.status if response is not None else None,
        response_excerpt=_excerpt(response.body) if response is not None else "",
        response_ms=round(response.elapsed * 1000) if response is not None else None,
        last_attempt_at=timezone.now(),
    )


def _excerpt(body: bytes) -> str:
    # Printable text only: PostgreSQL refuses NUL in text, and staff read it in a browser.
    text = body[: RESPONSE_EXCERPT_LENGTH * 4].decode("utf-8", errors="replace")
    return "".join(character for character in text if character.isprintable() or character in "\n\t")[:RESPONSE_EXCERPT_LENGTH]
