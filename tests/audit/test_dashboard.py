import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.contrib.contenttypes.models import ContentType
from django.contrib.staticfiles import finders
from django.utils import timezone

from audit.dashboard import client_activity, daily_signups_and_logins
from audit.models import AuditLog
from tenants.models import Client
from tests.audit.conftest import request_as
from tests.test_secantus_differences import DIFFERENCE

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def staff(client):
    admin = User.objects.create_superuser("boss", "boss@example.com", None)
    client.force_login(admin)
    return client


def _log(tenant, action, status, *, ago=timedelta(0), count=1, reason=None):
    if reason is None:
        reason = "invalid_credentials" if status == "failed" else ""
    for _ in range(count):
        AuditLog.objects.create(
            client_id=tenant.client.client_id, action=action, status=status, reason=reason, timestamp=timezone.now() - ago
        )


def _staff_with(client, *codenames: tuple[type, str]):
    """A staff member (not a superuser) holding exactly the given (model, codename) permissions."""
    member = User.objects.create_user("helper", "helper@example.com", None, is_staff=True)
    for model, codename in codenames:
        content_type = ContentType.objects.get_for_model(model)
        permission, _ = Permission.objects.get_or_create(codename=codename, content_type=content_type, defaults={"name": codename})
        member.user_permissions.add(permission)
    client.force_login(member)
    return client


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


def test_every_day_of_the_chart_is_named_under_its_bars_today_included(staff, tenant):
    """Each of the 14 days has a date label centred under its two bars; the last one is today's."""
    html = staff.get("/admin/").content.decode()
    bars = re.findall(r'<rect class="(signups|logins)" x="([\d.]+)" y="[\d.]+" width="([\d.]+)"', html)
    labels = re.findall(r'<text class="day( today)?" x="([\d.]+)"[^>]*>([^<]+)</text>', html)
    today = timezone.now().date()
    assert [text for _, _, text in labels] == [(today - timedelta(days=ago)).strftime("%d %b") for ago in range(13, -1, -1)]
    assert [bool(mark) for mark, _, _ in labels] == [False] * 13 + [True]
    for day, (_, x, _) in enumerate(labels):
        (_, signups_x, width), (_, logins_x, _) = bars[2 * day : 2 * day + 2]
        assert float(signups_x) <= float(x) <= float(logins_x) + float(width)


def test_failed_logins_count_only_judged_credentials(tenant):
    """A malformed body, a GET (405) and a 405 row of older releases are not counted as failed logins; a wrong password is."""
    login = tenant.url("login")
    authorization = tenant.auth["HTTP_AUTHORIZATION"]
    _log(tenant, "login", "failed", reason="method_not_allowed")  # written by releases that audited 405s
    sent = [
        request_as(login, {"email": "not an email"}, authorization=authorization),
        request_as(login, authorization=authorization, method="GET"),
        request_as(login, {"email": "nobody@example.com", "password": "wrong guess 12"}, authorization=authorization),
    ]
    assert [response.status_code for response in sent] == [400, 405, 401]
    assert AuditLog.objects.filter(action="login", status="failed", reason="invalid_request").exists()
    [row] = [row for row in client_activity() if row.client.client_id == tenant.client.client_id]
    assert (row.failed_24h, row.failed_7d) == (1, 1)


def test_dashboard_headers_keep_their_words_on_one_line(staff, tenant):
    """The admin index's `th { width: 100% }` is overridden so each header stays whole (not one letter per line)."""
    html = staff.get("/admin/").content.decode()
    assert '<link rel="stylesheet" href="/static/audit/dashboard.css">' in html
    with open(finders.find("audit/dashboard.css"), encoding="utf-8") as stylesheet:
        assert ".dashboard .authsvc-dashboard .module table th { width: auto; white-space: nowrap; word-break: normal; }" in stylesheet.read()
    section = html[html.index('<section class="authsvc-dashboard"') : html.index("</section>")]
    headers = re.findall(r"<th scope=\"col(?:group)?\"[^>]*>([^<]+)</th>", section)
    assert headers == ["Client", "Users", "Last 24 h", "Last 7 days", "Logins", "Failed", "Logins", "Failed"]


ON_SECANTUS_PERMISSIONS_FAIL = pytest.mark.secantus_difference(reason=DIFFERENCE)


@pytest.mark.parametrize(
    "permissions, sees_clients, sees_chart",
    [
        pytest.param((), False, False, id="no-permission"),
        pytest.param(((AuditLog, "view_auditlog"),), False, True, id="audit-only", marks=ON_SECANTUS_PERMISSIONS_FAIL),
        pytest.param(((Client, "view_client"),), False, False, id="clients-only"),
        pytest.param(
            ((Client, "view_client"), (AuditLog, "view_auditlog")), True, True, id="clients-and-audit", marks=ON_SECANTUS_PERMISSIONS_FAIL
        ),
    ],
)
def test_dashboard_shows_staff_only_what_their_view_permissions_allow(client, tenant, permissions, sees_clients, sees_chart):
    """Client names need view_client and view_auditlog; the chart needs view_auditlog; without either there is no dashboard."""
    _log(tenant, "login", "success", count=2)
    response = _staff_with(client, *permissions).get("/admin/")
    html = response.content.decode()
    assert response.status_code == 200
    assert (tenant.client.client_name in html, 'class="authsvc-chart"' in html) == (sees_clients, sees_chart)
