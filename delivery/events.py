"""What staff or an operator did to a delivery by hand: the delivery events.

Published by delivery.services; audit subscribes and names the record after the delivery's kind
(`mail_retry`, `mail_discard`). Delivery knows no kind's payload but the user's id it may carry.
"""

import uuid
from dataclasses import dataclass

from core.events import Event


@dataclass(frozen=True, kw_only=True)
class DeliveryHandled(Event):
    """Base of the by-hand events: which delivery, of which kind and topic (never its target)."""

    delivery_id: uuid.UUID
    kind: str
    topic: str

    @classmethod
    def of(cls, delivery, **envelope) -> "DeliveryHandled":
        user_id = (delivery.payload or {}).get("user_id") or None
        return cls(
            client_id=delivery.client_id,
            user_id=uuid.UUID(str(user_id)) if user_id else None,
            delivery_id=delivery.delivery_id,
            kind=delivery.kind,
            topic=delivery.topic,
            **envelope,
        )


@dataclass(frozen=True, kw_only=True)
class DeliveryRetried(DeliveryHandled, name="delivery.retried"):
    """A failed or discarded delivery was queued again by staff or an operator."""


@dataclass(frozen=True, kw_only=True)
class DeliveryDiscarded(DeliveryHandled, name="delivery.discarded"):
    """A pending or failed delivery was discarded by staff or an operator: it is never sent."""
