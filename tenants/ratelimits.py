"""Rate limits on django-ratelimit's counters, keyed only on validated values."""

from django.http import HttpRequest
from django_ratelimit.core import get_usage

from tenants.errors import RateLimited


def enforce_rate_limit(request: HttpRequest, *, group: str, key: str, rate: str) -> None:
    usage = get_usage(request, group=group, key=lambda _group, _request: key, rate=rate, increment=True)
    if usage is not None and usage["should_limit"]:
        raise RateLimited(retry_after=max(1, int(usage["time_left"])))
