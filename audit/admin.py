"""Staff admin for the audit trail: read-only, for everyone, superusers included.

Records are written only by `audit.receivers` and removed only by `manage.py purge_audit`;
a trail that staff could edit would prove nothing.
"""

import ipaddress

from django.contrib import admin
from django.db.models import Q

from audit.models import AuditLog
from core.admin import ReadOnlyModelAdmin
from tenants.selectors import client_list, parse_client_id

LIST_FIELDS = (
    "timestamp",
    "action",
    "status",
    "reason",
    "client_id",
    "user_id",
    "ip_address",
    "user_agent",
    "audit_id",
)


class ClientFilter(admin.SimpleListFilter):
    """Clients by name; records keep a plain client_id, so deleted clients simply drop out of the list."""

    title = "client"
    parameter_name = "client_id"

    def lookups(self, request, model_admin):
        return [(str(client.client_id), client.client_name) for client in client_list().order_by("client_name")]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        client_id = parse_client_id(self.value())
        return queryset.filter(client_id=client_id) if client_id is not None else queryset.none()


def _as_ip(term: str) -> str | None:
    try:
        return str(ipaddress.ip_address(term))
    except ValueError:
        return None


@admin.register(AuditLog)
class AuditLogAdmin(ReadOnlyModelAdmin):
    list_display = LIST_FIELDS
    list_filter = (ClientFilter, "action", "status")
    date_hierarchy = "timestamp"
    # Matched whole in get_search_results: django-mongodb-backend refuses pattern lookups
    # (icontains) on UUIDField, and a fragment of an id or address finds nothing useful.
    search_fields = ("user_id", "client_id", "ip_address")
    search_help_text = "A whole user_id or client_id, or an IP address."
    readonly_fields = (*LIST_FIELDS, "metadata")
    # Counting every row of a large trail on each page view is the slow part of a changelist.
    show_full_result_count = False

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        wanted = parse_client_id(term)
        if wanted is not None:
            return queryset.filter(Q(user_id=wanted) | Q(client_id=wanted)), False
        ip = _as_ip(term)
        if ip is not None:
            return queryset.filter(ip_address=ip), False
        return queryset.none(), False
