"""The `deliveries` table: one row per thing to deliver, whatever its kind (delivery.kinds).

A row says what to deliver (`kind`, `topic`), where (`target`: an email address for mail, an
endpoint for a webhook) and from what (`payload`: a small reference the kind's `send` builds
the content from at send time, never a secret), and carries the engine's bookkeeping: status,
attempts, lease and give-up time. `delivery_id` is the idempotency key: a kind sends it along
(mail as its Message-ID) so that a delivery sent again after a crash is the same one.

A row with an empty target is a stand-in: a request that delivers to nobody writes one so that
it does the same work as one that delivers; workers delete stand-ins.
"""

import uuid

from django.db import models
from django.utils import timezone

from tenants.models import Client


class Status(models.TextChoices):
    PENDING = "pending"  # waiting for a worker, first time or after a failed attempt
    SENDING = "sending"  # a worker holds it until lease_until
    SENT = "sent"
    FAILED = "failed"  # not sent by give_up_at: the dead letters
    DISCARDED = "discarded"  # by staff, or no longer wanted (its kind said so at send time)


class Delivery(models.Model):
    delivery_id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(Client, on_delete=models.CASCADE, db_column="client_id", related_name="+")
    kind = models.CharField(max_length=32, db_index=True)  # a registered kind: "mail", ...
    topic = models.CharField(max_length=64)  # what, within the kind: a mail's template, a webhook's event
    target = models.CharField(max_length=2048, blank=True)  # "": a stand-in
    payload = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now, db_index=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)
    # created_at + the kind's max age (from the retry, when staff retry it).
    give_up_at = models.DateTimeField(db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "deliveries"
        # The workers' turn (delivery.services): the due rows, client by client, oldest first.
        indexes = [models.Index(fields=["status", "client", "next_attempt_at"], name="deliveries_due_by_client")]
        ordering = ["-created_at"]
        verbose_name = "delivery"
        verbose_name_plural = "deliveries"

    def __str__(self) -> str:
        return f"{self.kind} {self.topic} to {self.target or 'nobody (a stand-in)'} ({self.status})"

    @property
    def is_stand_in(self) -> bool:
        return not self.target
