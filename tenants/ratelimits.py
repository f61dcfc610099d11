"""Rate limits on django-ratelimit's counters (a shared Redis in production).

Buckets are keyed on validated values only (a client id, an access key id, a normalised
email, a parsed IP), never on raw headers, so a missing header cannot make one bucket
shared by everyone; and each bucket includes the client, so one client's traffic never
spends another's limit.
"""

import re

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit.core import get_usage

from core.errors import InvalidRequest, RateLimited
from core.request_meta import RequestMeta
from tenants import signals
from tenants.models import Client

RATE_PATTERN = re.compile(r"^\d+/\d*[smhd]$")


def enforce_rate_limit(request: HttpRequest, *, group: str, key: str, rate: str) -> None:
    usage = get_usage(request, group=group, key=lambda _group, _request: key, rate=rate, increment=True)
    if usage is not None and usage["should_limit"]:
        raise RateLimited(retry_after=max(1, int(usage["time_left"])))


def client_rate(client: Client, limit: str) -> str:
    return (client.rate_limits or {}).get(limit) or settings.AUTHSVC_RATE_LIMITS[limit]


def enforce_client_limit(
    request: HttpRequest,
    *,
    client: Client,
    limit: str,
    key: str,
    action: str,
    request_meta: RequestMeta | None,
) -> None:
    """Count one call against `limit` for this client; over it → 429, announced once."""
    try:
        enforce_rate_limit(request, group=f"{limit}:{client.client_id}", key=key, rate=client_rate(client, limit))
    except RateLimited as error:
        signals.rate_limited.send(
            sender=Client,
            client=client,
            request_meta=request_meta,
            action=action,
            limit=limit,
        )
        error.announced = True
        raise


def validate_rate_limits(overrides: object) -> dict:
    if overrides in (None, ""):
        return {}
    if not isinstance(overrides, dict):
        raise InvalidRequest(fields={"rate_limits": ["Must be an object of limit name to rate."]})
    problems = [
        f"{name}: unknown limit" if name not in settings.AUTHSVC_RATE_LIMITS else f"{name}: rate must look like 100/m"
        for name, rate in overrides.items()
        if name not in settings.AUTHSVC_RATE_LIMITS or not isinstance(rate, str) or not RATE_PATTERN.match(rate)
    ]
    if problems:
        raise InvalidRequest(fields={"rate_limits": problems})
    return overrides
