"""Numbers for the staff dashboard on the admin index: per-client activity and a daily chart.

Counts come from `audit_logs` with one grouped query per figure, never a query per client,
so the page costs the same with 10 or 10,000 clients; user counts, which live in one
collection per client, are only taken for the clients shown.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from accounts.selectors import user_count
from audit.models import AuditLog, AuditStatus
from tenants.models import Client

CLIENTS_SHOWN = 20
CHART_DAYS = 14
# A failed login counted on the dashboard is one whose credentials were judged: a malformed
# body, a wrong method or a refused key says nothing about someone guessing passwords.
# Rate-limited tries have their own `rate_limited` records and are not counted here.
LOGIN_FAILURE_REASONS = ("invalid_credentials", "account_disabled", "email_not_verified", "invalid_mfa_code")


@dataclass(frozen=True)
class ClientActivity:
    client: Client
    users: int
    logins_24h: int
    failed_24h: int
    logins_7d: int
    failed_7d: int


@dataclass(frozen=True)
class DailyPoint:
    day: date
    signups: int
    logins: int


def _login_counts(since) -> dict:
    rows = (
        AuditLog.objects.filter(action="login", timestamp__gte=since)
        .values("client_id")
        .annotate(
            ok=Count("audit_id", filter=Q(status=AuditStatus.SUCCESS)),
            failed=Count("audit_id", filter=Q(status=AuditStatus.FAILED, reason__in=LOGIN_FAILURE_REASONS)),
        )
    )
    return {row["client_id"]: (row["ok"], row["failed"]) for row in rows}


def client_activity(*, now=None, limit: int = CLIENTS_SHOWN) -> list[ClientActivity]:
    """The most active clients of the last 7 days (then the newest), with their counts."""
    now = now or timezone.now()
    day = _login_counts(now - timedelta(days=1))
    week = _login_counts(now - timedelta(days=7))
    busiest = sorted(week, key=lambda client_id: -sum(week[client_id]))[:limit]
    clients = {client.client_id: client for client in Client.objects.filter(client_id__in=busiest)}
    if len(clients) < limit:
        for client in Client.objects.exclude(client_id__in=list(clients)).order_by("-created_at")[: limit - len(clients)]:
            clients[client.client_id] = client
    ordered = sorted(clients.values(), key=lambda client: (-sum(week.get(client.client_id, (0, 0))), client.client_name))
    return [
        ClientActivity(
            client=client,
            users=user_count(client=client),
            logins_24h=day.get(client.client_id, (0, 0))[0],
            failed_24h=day.get(client.client_id, (0, 0))[1],
            logins_7d=week.get(client.client_id, (0, 0))[0],
            failed_7d=week.get(client.client_id, (0, 0))[1],
        )
        for client in ordered
    ]


def daily_signups_and_logins(*, today: date | None = None, days: int = CHART_DAYS) -> list[DailyPoint]:
    today = today or timezone.now().date()
    first = today - timedelta(days=days - 1)
    since = datetime.combine(first, time.min, tzinfo=UTC)
    rows = (
        AuditLog.objects.filter(action__in=["signup", "login"], status=AuditStatus.SUCCESS, timestamp__gte=since)
        .annotate(day=TruncDate("timestamp"))
        .values("day", "action")
        .annotate(count=Count("audit_id"))
    )
    counts = {(row["day"], row["action"]): row["count"] for row in rows}
    return [
        DailyPoint(day=day, signups=counts.get((day, "signup"), 0), logins=counts.get((day, "login"), 0))
        for day in (first + timedelta(days=offset) for offset in range(days))
    ]
