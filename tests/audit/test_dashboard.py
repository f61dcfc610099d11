import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from audit.dashboard import client_activity, daily_signups_and_logins
from audit.models import AuditLog

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def staff(client):
    admin = User.objects.create_superuser("boss", "boss@example.com", None)
    client.force_login(admin)
    return client


def _log(tenant, action, status, *, ago=timedelta(0), count=1):
    for _ in range(count):
        AuditLog.objects.create(client_id=tenant.client.client_id, action=action, status=status, timestamp=timezone.now() - ago)


def test_activity_counts_logins_and_failures_per_window(tenant, other_tenant, api):
    """Logins and failed logins are counted per client over 24 h and 7 days; users come from the client's collection."""
    api.post(tenant.url("signup"), {"email": "a@example.com", "password": "long enough pass 1"}, format="json", **tenant.auth)
    _log(tenant, "login", "success", count=3)
    _log(tenant, "login", "failed", count=2)
    _log(tenant, "login", "success", ago=timedelta(days=3), count=4)
    _log(tenant, "login", "success", ago=timedelta(days=9), count=5)
    _log(other_tenant, "login", "failed", ago=timedelta(hours=30))
    rows = {row.client.client_id: row for row in client_activity()}
    mine, theirs = rows[tenant.client.client_id], rows[other_tenant.client.client_id]
    assert (mine.users, mine.logins_24h, mine.failed_24h, mine.logins_7d, mine.failed_7d) == (1, 3, 2, 7, 2)
    assert (theirs.users, theirs.logins_24h, theirs.failed_24h, theirs.logins_7d, theirs.failed_7d) == (0, 0, 0, 0, 1)
    assert list(rows)[0] == tenant.client.client_id  # most active first


def test_daily_series_covers_every_day_with_zeros(tenant):
    """The chart series has one point per day, oldest first, counting only successful sign-ups and logins."""
    _log(tenant, "signup", "success", count=2)
    _log(tenant, "login", "success", ago=timedelta(days=2), count=3)
    _log(tenant, "login", "failed", count=7)
    points = daily_signups_and_logins(days=14)
    assert len(points) == 14 and points[0].day < points[-1].day
    assert (points[-1].signups, points[-1].logins) == (2, 0)
    assert points[-3].logins == 3
    assert sum(point.logins for point in points) == 3


def test_admin_index_shows_the_dashboard_with_an_svg_chart(staff, tenant):
    """Staff see per-client counts and a server-rendered SVG chart, no external assets."""
    _log(tenant, "login", "success", count=2)
    response = staff.get("/admin/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Activity" in html and tenant.client.client_name in html
    assert "<svg" in html and 'class="logins"' in html
    assert not re.search(r'(src|href)="https?://', html)
