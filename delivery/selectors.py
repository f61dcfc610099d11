"""Reads of the `deliveries` table, for the operators' command."""

from django.db.models import Count, QuerySet

from delivery.models import Delivery, Status


def deliveries_list(*, kind: str | None = None, status: str | None = None) -> QuerySet[Delivery]:
    deliveries = Delivery.objects.order_by("created_at", "delivery_id")
    if kind:
        deliveries = deliveries.filter(kind=kind)
    return deliveries.filter(status=status) if status else deliveries


def delivery_counts(*, kind: str | None = None) -> dict[str, dict[tuple[str, str], int]]:
    """Rows per status, then per (kind, topic); every status is listed, even when empty."""
    counts: dict[str, dict[tuple[str, str], int]] = {status: {} for status in Status.values}
    rows = Delivery.objects.filter(kind=kind) if kind else Delivery.objects.all()
    for row in rows.values("status", "kind", "topic").annotate(count=Count("delivery_id")).order_by():
        counts[row["status"]][(row["kind"], row["topic"])] = row["count"]
    return counts
