"""Deleting many rows without holding the store: the purge commands of accounts and audit."""

from collections.abc import Callable

from django.db.models import QuerySet

from core.errors import InvalidRequest


def rows_delete_in_batches(
    *, rows: QuerySet, batch_size: int, on_batch: Callable[[int, int], None] | None = None
) -> int:
    """Delete `rows` one batch of primary keys at a time; returns how many were deleted.

    Many short deletes instead of one long one, so that a large purge never holds the
    store (SQLite's write lock, one huge MongoDB write) while requests wait.
    `on_batch(deleted, total)` reports progress after each batch.
    """
    if batch_size < 1:
        raise InvalidRequest(fields={"batch_size": ["Must be at least 1."]})
    model = rows.model
    total = 0
    while True:
        batch = list(rows.order_by().values_list("pk", flat=True)[:batch_size])
        if not batch:
            return total
        _, per_model = model._base_manager.filter(pk__in=batch).delete()
        deleted = per_model.get(model._meta.label, 0)
        if not deleted:  # someone else deleted them first: stop rather than spin
            return total
        total += deleted
        if on_batch is not None:
            on_batch(deleted, total)
