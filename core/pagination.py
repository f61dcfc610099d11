"""Keyset (cursor) pagination on a (timestamp, uuid) pair, shared by the users and audit lists.

The cursor is the last row's pair, base64url-encoded JSON: opaque to callers, stable under
inserts (unlike offsets), and cheap on every store (an index range, no count).
"""

import base64
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from django.db.models import Model, Q, QuerySet

from core.errors import InvalidRequest

Row = TypeVar("Row", bound=Model)


@dataclass(frozen=True)
class Page(Generic[Row]):
    results: list[Row]
    next_cursor: str | None


def encode_cursor(moment: datetime, identifier: uuid.UUID) -> str:
    raw = json.dumps([moment.isoformat(), str(identifier)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        moment, identifier = json.loads(base64.urlsafe_b64decode(padded.encode()))
        return datetime.fromisoformat(moment), uuid.UUID(identifier)
    except (ValueError, TypeError, UnicodeError):
        raise InvalidRequest("The cursor is invalid.", fields={"cursor": ["Use the `next` value of a previous page."]}) from None


def keyset_page(
    rows: QuerySet, *, time_field: str, id_field: str, cursor: str | None, limit: int, newest_first: bool = False
) -> Page:
    """One page of `rows` ordered by (time_field, id_field), after the row the cursor names."""
    direction, order = ("lt", "-") if newest_first else ("gt", "")
    rows = rows.order_by(f"{order}{time_field}", f"{order}{id_field}")
    if cursor:
        rows = _after(rows, time_field, id_field, *decode_cursor(cursor), direction=direction)
    fetched = list(rows[: limit + 1])
    last = fetched[limit - 1] if len(fetched) > limit else None
    next_cursor = encode_cursor(getattr(last, time_field), getattr(last, id_field)) if last is not None else None
    return Page(results=fetched[:limit], next_cursor=next_cursor)


def _after(rows: QuerySet, time_field: str, id_field: str, moment: datetime, identifier: uuid.UUID, *, direction: str) -> QuerySet:
    return rows.filter(Q(**{f"{time_field}__{direction}": moment}) | Q(**{time_field: moment, f"{id_field}__{direction}": identifier}))


def keyset_rows(rows: QuerySet, *, time_field: str, id_field: str, page_size: int) -> Iterator[Row]:
    """Every row of `rows`, oldest first, one page query at a time: memory holds one page, whatever
    the count, and no query stays open between pages (a streamed answer may be read slowly)."""
    rows = rows.order_by(time_field, id_field)
    page = list(rows[:page_size])
    while page:
        yield from page
        if len(page) < page_size:
            return
        after = (getattr(page[-1], time_field), getattr(page[-1], id_field))
        page = []  # let this page go before the next is read: one page in memory, not two
        page = list(_after(rows, time_field, id_field, *after, direction="gt")[:page_size])
