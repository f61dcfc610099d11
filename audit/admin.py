"""Staff admin for the audit trail: read-only, for everyone, superusers included.

Records are written only by `audit.receivers` and removed only by `manage.py purge_audit`;
a trail that staff could edit would prove nothing.

Records keep plain ids. The list shows the client's name and the user's email beside them,
looked up once per page (`AuditChangeList`), and "(deleted)" for a client or user that is gone.
"""

import ipaddress

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.db.models import Q
from django.utils.html import format_html
from django.utils.text import Truncator

from audit.models import AuditLog
from audit.selectors import Subjects, audit_subjects
from core.admin import ReadOnlyModelAdmin, admin_time
from tenants.selectors import client_list, parse_client_id

# Status and reason share a column, and so do address and agent: the list fits a 1366 px screen beside its filters.
LIST_FIELDS = ("when", "action", "outcome", "client", "user", "actor", "origin")
DETAIL_FIELDS = ("when", "action", "status", "reason", "client", "user", "actor", "ip_address", "user_agent", "audit_id", "metadata")
DELETED = "(deleted)"
AGENT_SHOWN = 32  # characters of the agent in the list; the whole of it is the cell's title


def _named_id(label: str, identifier) -> str:
    """A name over the id it stands for: the id stays whole (search takes whole ids) but wraps."""
    return format_html('{}<span class="audit-id">{}</span>', label, identifier)


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


class AuditChangeList(ChangeList):
    """The page's records, with the names and emails they mention fetched for the whole page at once."""

    def get_results(self, request):
        super().get_results(request)
        self.result_list = list(self.result_list)
        subjects = audit_subjects(records=self.result_list)
        for record in self.result_list:
            record.subjects = subjects


def _as_ip(term: str) -> str | None:
    try:
        return str(ipaddress.ip_address(term))
    except ValueError:
        return None


def _subjects(record: AuditLog) -> Subjects:
    # The list fetched them for the page; a record opened alone looks up its own.
    if not hasattr(record, "subjects"):
        record.subjects = audit_subjects(records=[record])
    return record.subjects


@admin.register(AuditLog)
class AuditLogAdmin(ReadOnlyModelAdmin):
    list_display = LIST_FIELDS
    list_filter = (ClientFilter, "action", "status")
    date_hierarchy = "timestamp"
    # Matched whole in get_search_results: django-mongodb-backend refuses pattern lookups
    # (icontains) on UUIDField, and a fragment of an id or address finds nothing useful.
    search_fields = ("user_id", "client_id", "ip_address")
    search_help_text = "A whole user_id or client_id, or an IP address."
    fields = DETAIL_FIELDS
    readonly_fields = DETAIL_FIELDS
    # Counting every row of a large trail on each page view is the slow part of a changelist.
    show_full_result_count = False

    class Media:
        css = {"all": ("audit/admin.css",)}

    def get_changelist(self, request, **kwargs):
        return AuditChangeList

    @admin.display(description=f"time ({settings.TIME_ZONE})", ordering="timestamp")
    def when(self, record: AuditLog) -> str:
        return admin_time(record.timestamp)

    @admin.display(description="client", ordering="client_id")
    def client(self, record: AuditLog) -> str:
        if record.client_id is None:
            return self.get_empty_value_display()
        return _named_id(_subjects(record).client_names.get(record.client_id, DELETED), record.client_id)

    @admin.display(description="user", ordering="user_id")
    def user(self, record: AuditLog) -> str:
        if record.user_id is None:
            return self.get_empty_value_display()
        email = _subjects(record).user_emails.get((record.client_id, record.user_id), DELETED)
        return _named_id(email, record.user_id)

    @admin.display(description="by")
    def actor(self, record: AuditLog) -> str:
        """The staff member or operator who made the change, and through what (admin, a command)."""
        actor = (record.metadata or {}).get("actor")
        if not isinstance(actor, dict):
            return self.get_empty_value_display()
        return format_html('{}<span class="audit-detail">{}</span>', actor.get("username", ""), actor.get("via", ""))

    @admin.display(description="outcome", ordering="status")
    def outcome(self, record: AuditLog) -> str:
        """The status, and under it the reason of a failure."""
        return format_html('{}<span class="audit-detail">{}</span>', record.status, record.reason) if record.reason else record.status

    @admin.display(description="from", ordering="ip_address")
    def origin(self, record: AuditLog) -> str:
        """The address, and under it the start of the agent (the whole agent is the title)."""
        address = record.ip_address or self.get_empty_value_display()
        if not record.user_agent:
            return address
        agent = Truncator(record.user_agent).chars(AGENT_SHOWN)
        return format_html('{}<span class="audit-detail" title="{}">{}</span>', address, record.user_agent, agent)

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
