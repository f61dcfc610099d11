"""For management commands of any app: report service errors, print tables and the exact command to
run next. Finding a client from the command line is the tenants context's (tenants/cli.py)."""

import shlex
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError

from core.errors import ServiceError


def describe(error: ServiceError, option_names: Mapping[str, str] | None = None) -> str:
    """One line for an operator: the detail, then each field under its command-line option name."""
    if not error.fields:
        return error.detail
    names = option_names or {}
    problems = "; ".join(
        f"{names.get(field, field)}: {_join(messages)}" for field, messages in error.fields.items()
    )
    return f"{error.detail} {problems}"


def _join(messages: object) -> str:
    if isinstance(messages, (list, tuple)):
        return " ".join(str(message) for message in messages)
    return str(messages)


@contextmanager
def service_errors(option_names: Mapping[str, str] | None = None) -> Iterator[None]:
    """Turn our ServiceError into CommandError: a clear message and exit code 1, not a traceback."""
    try:
        yield
    except ServiceError as error:
        raise CommandError(describe(error, option_names)) from None


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Lines of a plain-text table, each column as wide as its widest cell."""
    widths = [max(len(cell) for cell in column) for column in zip(headers, *rows, strict=False)]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)).rstrip() for row in (headers, *rows)]


def format_time(moment: datetime | None, *, unset: str = "-") -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%SZ") if moment is not None else unset


def _relative_if_under_cwd(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def manage_py_command(*arguments: str) -> str:
    """A shell line running `manage.py <arguments>` with this same Python, from the working directory."""
    python = _relative_if_under_cwd(Path(sys.executable))
    if "/" not in python:  # a bare name would be looked up on PATH by the shell, not taken from here
        python = f"./{python}"
    return shlex.join([python, _relative_if_under_cwd(Path(settings.BASE_DIR) / "manage.py"), *arguments])
