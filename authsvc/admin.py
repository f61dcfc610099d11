"""The admin site: where the apps' admin pages meet.

Each app registers its own ModelAdmins; what links one app's page to another's (a client's
users, its audit records) is wired here, one layer above them, so no app needs to know the
others' URL names.
"""

from urllib.parse import urlencode

from django.contrib import admin
from django.urls import reverse

from tenants.admin import ClientAdmin as TenantClientAdmin
from tenants.models import Client
from webhooks.admin import CLIENT_PARAMETER

# The query parameter of the audit admin's client filter (audit.admin.ClientFilter).
AUDIT_CLIENT_PARAMETER = "client_id"
# And of the webhooks admin's (webhooks.admin.ClientFilter).
WEBHOOKS_CLIENT_PARAMETER = CLIENT_PARAMETER


class ClientAdmin(TenantClientAdmin):
    """The client's page, with buttons to its users, its audit records and its webhooks."""

    change_form_template = "admin/authsvc/client_change_form.html"

    def client_links(self, client_id) -> list[tuple[str, str]]:
        audit_list = reverse("admin:audit_auditlog_changelist")
        audit_records = ("Audit records", f"{audit_list}?{urlencode({AUDIT_CLIENT_PARAMETER: client_id})}")
        documentation = ("Documentation", reverse("client-docs", args=[str(client_id)]))
        return [audit_records, *self.webhook_links(client_id), *super().client_links(client_id), documentation]

    def webhook_links(self, client_id) -> list[tuple[str, str]]:
        query = urlencode({WEBHOOKS_CLIENT_PARAMETER: client_id})
        return [
            ("Webhooks", f"{reverse('admin:webhooks_webhook_changelist')}?{query}"),
            ("Webhook deliveries", f"{reverse('admin:webhooks_webhookmessage_changelist')}?{query}"),
        ]


# tenants registers its own admin so that it works alone; here it gains the other apps' links.
admin.site.unregister(Client)
admin.site.register(Client, ClientAdmin)
