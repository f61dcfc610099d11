"""What staff or an operator did to a delivery by hand. Sent by delivery.services, received by audit,
which names the record after the delivery's kind (`mail_retry`, `mail_discard`)."""

from django.dispatch import Signal

# kwargs: delivery (the row), request_meta (with the actor)
delivery_retried = Signal()  # a failed or discarded delivery queued again
delivery_discarded = Signal()  # a pending or failed delivery never to be sent
