"""For management commands of any app: find a client from the command line, report service errors."""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from django.core.management.base import CommandError

from core.errors import ServiceError
from tenants.models import Client, Industry
from tenants.selectors import client_get, parse_client_id

INDUSTRY_CHOICES = ", ".join(Industry.values)


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


def resolve_client(raw: str) -> Client:
    if parse_client_id(raw) is None:
        raise CommandError(f"{raw[:64]!r} is not a client_id (expected a UUID, e.g. 0f8fad5b-d9cb-469f-a165-70867728950e).")
    with service_errors():
        return client_get(client_id=raw)


def industry_value(raw: str) -> str:
    """The Industry value `raw` names, ignoring case (`saas` → `SaaS`); unknown names pass through unchanged."""
    for value in Industry.values:
        if value.lower() == raw.strip().lower():
            return value
    return raw


def require_industry(raw: str) -> str:
    value = industry_value(raw)
    if value not in Industry.values:
        raise CommandError(f"Unknown industry {raw[:64]!r}; choose one of: {INDUSTRY_CHOICES}.")
    return value
