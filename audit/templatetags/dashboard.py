"""`{% authsvc_dashboard %}`: the staff dashboard block of the admin index, with an inline SVG chart."""

from django import template

from audit.dashboard import client_activity, daily_signups_and_logins

register = template.Library()

WIDTH, HEIGHT, PAD = 640, 200, 28


def _chart(points) -> dict:
    """Bar geometry for sign-ups and logins per day, computed here so the template stays simple."""
    peak = max([1, *(max(point.signups, point.logins) for point in points)])
    slot = (WIDTH - 2 * PAD) / len(points)
    bar = max(2.0, slot / 2 - 2)
    scale = (HEIGHT - 2 * PAD) / peak
    bars = []
    for index, point in enumerate(points):
        x = PAD + index * slot
        for offset, value, kind in ((0, point.signups, "signups"), (bar + 1, point.logins, "logins")):
            height = value * scale
            bars.append(
                {
                    "x": round(x + offset, 1),
                    "y": round(HEIGHT - PAD - height, 1),
                    "w": round(bar, 1),
                    "h": round(height, 1),
                    "kind": kind,
                    "value": value,
                    "day": point.day,
                }
            )
    # Every day is named under its pair of bars, the last one (today) included.
    labels = [
        {"x": round(PAD + index * slot + bar, 1), "text": point.day.strftime("%d %b"), "today": index == len(points) - 1}
        for index, point in enumerate(points)
    ]
    return {"width": WIDTH, "height": HEIGHT, "pad": PAD, "baseline": HEIGHT - PAD, "peak": peak, "bars": bars, "labels": labels}


def _visible_parts(user) -> tuple[bool, bool]:
    """(per-client table, chart) this staff member may see.

    The table names clients and counts from the audit trail, so it needs both view permissions;
    the chart is audit counts alone. Superusers have every permission.
    """
    counts = user.has_perm("audit.view_auditlog")
    return counts and user.has_perm("tenants.view_client"), counts


@register.inclusion_tag("admin/authsvc_dashboard.html", takes_context=True)
def authsvc_dashboard(context):
    show_clients, show_chart = _visible_parts(context["request"].user)
    if not show_chart:
        return {"shown": False}
    points = daily_signups_and_logins()
    return {
        "shown": True,
        "show_clients": show_clients,
        "activity": client_activity() if show_clients else [],
        "points": points,
        "chart": _chart(points),
        "total_signups": sum(point.signups for point in points),
        "total_logins": sum(point.logins for point in points),
    }
