"""Where sealed values are kept, so that `manage.py reseal_secrets` seals every one of them again
under the first key (crypto.sealed). Each app that stores sealed values registers its columns when
Django starts (its AppConfig.ready); crypto knows no model.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from crypto.errors import SealedSecretUnreadable
from crypto.sealed import reseal


@dataclass(frozen=True)
class SealedColumn:
    """One place holding sealed values: `rows()` yields (row key, token) for every sealed value,
    `count()` says how many; `replace(key, old, new)` stores `new` only while the row still holds
    `old`, and says whether it did (a value changed meanwhile was sealed under the first key anyway)."""

    name: str
    count: Callable[[], int]
    rows: Callable[[], Iterable[tuple[object, str]]]
    replace: Callable[[object, str, str], bool]


_COLUMNS: dict[str, SealedColumn] = {}


def register_sealed_column(column: SealedColumn) -> None:
    _COLUMNS[column.name] = column


def sealed_columns() -> list[SealedColumn]:
    return [_COLUMNS[name] for name in sorted(_COLUMNS)]


@dataclass
class ResealTally:
    resealed: int = 0
    changed_meanwhile: int = 0  # rewritten by someone else during the run: already under the first key
    unreadable: int = 0  # no listed key opens it: left as it is


def column_reseal(column: SealedColumn, *, on_progress: Callable[[int, int], None]) -> ResealTally:
    """Seal every value of `column` again under the first key; `on_progress(done, total)` after each
    value. Without any key (SealingUnavailable) it stops at the first value, changing nothing."""
    tally, total = ResealTally(), column.count()
    for done, (key, token) in enumerate(column.rows(), start=1):
        try:
            new = reseal(token)
        except SealedSecretUnreadable:
            tally.unreadable += 1
        else:
            if column.replace(key, token, new):
                tally.resealed += 1
            else:
                tally.changed_meanwhile += 1
        on_progress(done, max(total, done))
    return tally
