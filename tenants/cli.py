"""For management commands of any app: find a client from the command line and read an industry.
The generic helpers (service errors, tables, the next command to run) are in core/cli.py."""

from django.core.management.base import CommandError

from core.cli import service_errors
from tenants.models import Client, Industry
from tenants.selectors import client_get, parse_client_id

INDUSTRY_CHOICES = ", ".join(Industry.values)


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
