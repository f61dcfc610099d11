"""Staff admin for webhooks: a client's webhooks (disable, enable) and their deliveries (retry).

Read-only otherwise: the client manages its webhooks over the API, workers record deliveries, and
every action goes through webhooks.services or delivery.services, as the API and commands do.
No page shows a secret. Both lists filter by client (the client's page links to them).
"""

from django.conf import settings
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from core.admin import ReadOnlyModelAdmin, admin_time
from core.request_meta import staff_request_meta
from delivery.services import delivery_retry
from tenants.models import Client
from tenants.selectors import parse_client_id
from webhooks import services
from webhooks.models import Webhook, WebhookMessage

CLIENT_PARAMETER = "client_id"
WEBHOOK_FIELDS = (
    "webhook_id", "client", "url", "events", "description", "is_enabled", "disabled_reason", "disabled_at",
    "consecutive_failures", "failing_since", "previous_secret_expires_at", "created_at",
)
MESSAGE_FIELDS = (
    "delivery_id", "event_type", "event_id", "webhook", "status", "attempts", "response_status", "response_ms", "response_excerpt",
    "last_attempt_at", "next_attempt_at", "created_at", "timestamp",
)


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


class ClientFilter(admin.SimpleListFilter):
    """The clients that have webhooks, by name."""

    title = "client"
    parameter_name = CLIENT_PARAMETER
    client_path = "client_id"  # the lookup of the row's client id

    def lookups(self, request, model_admin):
        with_webhooks = Webhook.objects.values_list("client_id", flat=True)
        return [(str(client.pk), client.client_name) for client in Client.objects.filter(pk__in=list(with_webhooks)).order_by("client_name")]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        client_id = parse_client_id(self.value())
        return queryset.filter(**{self.client_path: client_id}) if client_id is not None else queryset.none()


class MessageClientFilter(ClientFilter):
    client_path = "webhook__client_id"


@admin.register(Webhook)
class WebhookAdmin(ReadOnlyModelAdmin):
    list_display = ("url", "client_name", "event_names", "enabled", "failures", "disabled_reason", "deliveries", "created")
    list_filter = (ClientFilter, "is_enabled")
    list_select_related = ("client",)
    fields = WEBHOOK_FIELDS
    search_fields = ("url",)
    actions = ("disable_webhooks", "enable_webhooks")

    @admin.display(description="client", ordering="client__client_name")
    def client_name(self, webhook: Webhook) -> str:
        return webhook.client.client_name

    @admin.display(description="enabled", boolean=True, ordering="is_enabled")
    def enabled(self, webhook: Webhook) -> bool:
        return webhook.is_enabled

    @admin.display(description="failures in a row", ordering="consecutive_failures")
    def failures(self, webhook: Webhook) -> int:
        return webhook.consecutive_failures

    @admin.display(description=f"created ({settings.TIME_ZONE})", ordering="created_at")
    def created(self, webhook: Webhook) -> str:
        return admin_time(webhook.created_at)

    @admin.display(description="events")
    def event_names(self, webhook: Webhook) -> str:
        return ", ".join(webhook.events)

    @admin.display(description="deliveries")
    def deliveries(self, webhook: Webhook) -> str:
        url = reverse("admin:webhooks_webhookmessage_changelist")
        return format_html('<a href="{}?webhook__webhook_id__exact={}">Deliveries</a>', url, webhook.webhook_id)

    def has_switch_permission(self, request) -> bool:
        return request.user.has_perm("webhooks.change_webhook")

    @admin.action(description="Disable: send nothing more to the selected webhooks", permissions=["switch"])
    def disable_webhooks(self, request, queryset) -> None:
        meta = staff_request_meta(request)
        changed = sum(services.webhook_disable(webhook=webhook, reason="disabled by staff", request_meta=meta) for webhook in queryset)
        self.message_user(request, f"Disabled {_plural(changed, 'webhook', 'webhooks')}.")

    @admin.action(description="Enable: send to the selected webhooks again", permissions=["switch"])
    def enable_webhooks(self, request, queryset) -> None:
        meta = staff_request_meta(request)
        changed = sum(services.webhook_enable(webhook=webhook, request_meta=meta) for webhook in queryset)
        self.message_user(request, f"Enabled {_plural(changed, 'webhook', 'webhooks')}.")


@admin.register(WebhookMessage)
class WebhookMessageAdmin(ReadOnlyModelAdmin):
    """One row per message; its status and attempts are the engine's (delivery.models.Delivery)."""

    list_display = ("created", "event_type", "webhook_url", "client_name", "status", "attempts", "response_status", "last_attempt")
    list_filter = (MessageClientFilter, "delivery__status", "event_type")
    list_select_related = ("delivery", "webhook", "webhook__client")
    fields = MESSAGE_FIELDS
    actions = ("retry_deliveries",)

    @admin.display(description=f"queued ({settings.TIME_ZONE})", ordering="created_at")
    def created(self, message: WebhookMessage) -> str:
        return admin_time(message.created_at)

    @admin.display(description="last attempt")
    def last_attempt(self, message: WebhookMessage) -> str:
        return admin_time(message.last_attempt_at) if message.last_attempt_at else "-"

    @admin.display(description="webhook")
    def webhook_url(self, message: WebhookMessage) -> str:
        return message.webhook.url

    @admin.display(description="client")
    def client_name(self, message: WebhookMessage) -> str:
        return message.webhook.client.client_name

    @admin.display(description="status", ordering="delivery__status")
    def status(self, message: WebhookMessage) -> str:
        return message.delivery.status

    @admin.display(description="attempts")
    def attempts(self, message: WebhookMessage) -> int:
        return message.delivery.attempts

    @admin.display(description="next attempt")
    def next_attempt_at(self, message: WebhookMessage):
        return message.delivery.next_attempt_at if message.delivery.status == "pending" else None

    def has_resend_permission(self, request) -> bool:
        return request.user.has_perm("delivery.change_delivery")

    @admin.action(description="Retry: send the selected failed or discarded deliveries again", permissions=["resend"])
    def retry_deliveries(self, request, queryset) -> None:
        meta = staff_request_meta(request)
        messages = list(queryset.select_related("delivery", "delivery__client"))
        retried = sum(delivery_retry(delivery=message.delivery, request_meta=meta) for message in messages)
        skipped = len(messages) - retried
        note = f"; {skipped} left as they were (only failed or discarded ones are retried)" if skipped else ""
        self.message_user(request, f"Queued {_plural(retried, 'delivery', 'deliveries')} again{note}.")
