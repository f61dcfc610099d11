"""Small query helpers shared by every app's selectors."""

from django.db.models import Model, QuerySet


def one_or_none(queryset: QuerySet) -> Model | None:
    """The row a filter on a unique column selects, or None.

    Unlike `.first()`, no ORDER BY: the filter already names at most one row, and compiling the
    ordering cost a sixth of a token verify.
    """
    return next(iter(queryset[:1]), None)
