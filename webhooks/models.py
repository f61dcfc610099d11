"""The webhooks tables: a client's endpoints (`webhooks`) and what each was sent (`webhook_messages`).

A webhook is a URL of the client's, the events it subscribes to (their webhook names, from the
event catalog: core.events.webhook_events) and its signing secrets: the current one and, for a
day after a rotation, the previous one, so that the receiver can switch without losing a
message. The secrets must be usable in clear to sign (HMAC), so they are stored sealed
(crypto.sealed: Fernet under AUTHSVC_SEALING_KEYS), never in clear.

A message is one event for one webhook. Its row shares its id with the engine's delivery row
(delivery.models.Delivery, kind "webhook"), which holds the engine's bookkeeping (status,
attempts, next attempt); the message holds what is sent (the event's type, time and data, the
same bytes on every attempt) and what the last attempt got back: the status code, and the
start of the body for staff, never shown to the client (the service is not a proxy).
"""

import uuid

from django.db import models
from django.utils import timezone

from crypto.resealing import SealedColumn
from delivery.models import Delivery
from tenants.models import Client

# The delivery kind of webhook messages (delivery.kinds; its hooks: webhooks.outbox).
KIND = "webhook"
MAX_URL_LENGTH = 2048
MAX_DESCRIPTION_LENGTH = 200
# What staff see of a receiver's answer, at most.
RESPONSE_EXCERPT_LENGTH = 1024


class Webhook(models.Model):
    webhook_id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(Client, on_delete=models.CASCADE, db_column="client_id", related_name="+")
    url = models.CharField(max_length=MAX_URL_LENGTH)
    events = models.JSONField(default=list)  # webhook event names, e.g. ["user.created"]
    description = models.CharField(max_length=MAX_DESCRIPTION_LENGTH, blank=True, default="")
    secret = models.CharField(max_length=512)  # sealed
    previous_secret = models.CharField(max_length=512, blank=True, default="")  # sealed
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    is_enabled = models.BooleanField("enabled", default=True)
    disabled_reason = models.CharField(max_length=200, blank=True, default="")
    disabled_at = models.DateTimeField(null=True, blank=True)
    # The current run of failed attempts (any message), and when it began; a success ends it.
    consecutive_failures = models.PositiveIntegerField(default=0)
    failing_since = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        db_table = "webhooks"
        ordering = ["created_at", "webhook_id"]
        indexes = [models.Index(fields=["client", "created_at"], name="webhooks_client_time")]

    def __str__(self) -> str:
        return f"{self.url} ({', '.join(self.events)})"


class WebhookMessage(models.Model):
    delivery = models.OneToOneField(Delivery, primary_key=True, on_delete=models.CASCADE, db_column="delivery_id", related_name="+")
    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, db_column="webhook_id", related_name="messages")
    event_id = models.UUIDField()  # shared by the messages of one event to several webhooks
    event_type = models.CharField(max_length=64)  # the webhook name, e.g. user.created
    timestamp = models.DateTimeField()  # when the event happened
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_excerpt = models.CharField(max_length=RESPONSE_EXCERPT_LENGTH, blank=True, default="")
    response_ms = models.PositiveIntegerField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "webhook_messages"
        ordering = ["-created_at", "-delivery_id"]
        indexes = [models.Index(fields=["webhook", "-created_at", "-delivery"], name="webhook_messages_page")]
        verbose_name = "webhook delivery"
        verbose_name_plural = "webhook deliveries"

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"


def sealed_secret_columns() -> list[SealedColumn]:
    """Where the sealed secrets are, for `manage.py reseal_secrets` (crypto.resealing)."""

    def column(field: str) -> SealedColumn:
        sealed = Webhook.objects.exclude(**{field: ""})

        def replace(pk, old: str, new: str) -> bool:
            return Webhook.objects.filter(pk=pk, **{field: old}).update(**{field: new}) == 1

        return SealedColumn(
            name=f"webhooks.{field}",
            count=lambda: sealed.count(),
            rows=lambda: sealed.order_by("pk").values_list("pk", field).iterator(),
            replace=replace,
        )

    return [column("secret"), column("previous_secret")]
