"""Staff admin for the deliveries: filter status "failed" for the dead letters, then retry or
discard them. Every kind (mail today) is listed here, with the same actions.

Read-only otherwise: workers change rows (delivery.services), and no row holds a token.
"""

from django.contrib import admin

from core.admin import ReadOnlyModelAdmin
from core.request_meta import staff_request_meta
from delivery import services
from delivery.models import Delivery

DELIVERY_FIELDS = (
    "created_at", "kind", "topic", "target", "client", "status", "attempts", "last_error", "next_attempt_at", "sent_at", "give_up_at",
    "delivery_id",
)


def _deliveries(count: int) -> str:
    return f"{count} deliver{'y' if count == 1 else 'ies'}"


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyModelAdmin):
    """The outbox of every kind. The payload is not shown: a kind's reference, not for staff."""

    list_display = ("created_at", "kind", "topic", "target", "client_name", "status", "attempts", "last_error")
    fields = DELIVERY_FIELDS
    list_filter = ("status", "kind", "topic")
    list_select_related = ("client",)
    actions = ("retry_deliveries", "discard_deliveries")

    @admin.display(description="client", ordering="client__client_name")
    def client_name(self, delivery: Delivery) -> str:
        return delivery.client.client_name

    def has_resend_permission(self, request) -> bool:
        return request.user.has_perm("delivery.change_delivery")

    @admin.action(description="Retry: send the selected failed or discarded deliveries again", permissions=["resend"])
    def retry_deliveries(self, request, queryset) -> None:
        self._apply(request, queryset, services.delivery_retry, "Queued {} again", "only failed or discarded ones are retried")

    @admin.action(description="Discard: never send the selected pending or failed deliveries", permissions=["resend"])
    def discard_deliveries(self, request, queryset) -> None:
        self._apply(request, queryset, services.delivery_discard, "Discarded {}", "sent, being sent, or discarded already")

    def _apply(self, request, queryset, service, done: str, why_skipped: str) -> None:
        """Run `service` on each selected row; say how many it changed, and why others were left."""
        deliveries = list(queryset.select_related("client"))
        meta = staff_request_meta(request)
        changed = sum(service(delivery=delivery, request_meta=meta) for delivery in deliveries)
        skipped = len(deliveries) - changed
        note = f"; {skipped} left as they were ({why_skipped})" if skipped else ""
        self.message_user(request, f"{done.format(_deliveries(changed))}{note}.")
