"""Bodies of the webhooks API: strict inputs (any other key is a 400 naming it), bounded sizes."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.events import webhook_events
from core.fields import StrictCharField
from core.serializers import QuerySerializer, StrictSerializer
from webhooks.models import MAX_DESCRIPTION_LENGTH, MAX_URL_LENGTH

EVENT_NAMES = tuple(webhook_events())


@extend_schema_field(
    {
        "type": "array",
        "items": {"type": "string", "enum": list(EVENT_NAMES)},
        "minItems": 1,
        "maxItems": len(EVENT_NAMES),
        "uniqueItems": True,
        "description": "The webhook events to receive (docs/events.md lists which events of the catalog each one sends).",
    }
)
class EventNamesField(serializers.Field):
    """A list of webhook event names: each known, none twice; the errors are flat text, naming the valid ones."""

    def to_internal_value(self, data):
        if not isinstance(data, list) or not data:
            raise serializers.ValidationError("A non-empty list of webhook event names.")
        unknown = [name for name in data if name not in EVENT_NAMES]
        if unknown:
            shown = ", ".join(repr(name) if isinstance(name, str) else "a non-string" for name in unknown[:5])
            raise serializers.ValidationError(f"Unknown webhook event(s) {shown}; valid ones: {', '.join(EVENT_NAMES)}.")
        if len(set(data)) != len(data):
            raise serializers.ValidationError("Each event may be named once.")
        return list(data)

    def to_representation(self, value):
        return list(value)


def _no_control_characters(value: str) -> None:
    if not value.isprintable():
        raise serializers.ValidationError("Must be plain text on one line.")


class WebhookCreateInput(StrictSerializer):
    url = StrictCharField(
        max_length=MAX_URL_LENGTH,
        help_text="Where events are POSTed: an https URL of yours on the public internet (checked now and at every delivery).",
    )
    events = EventNamesField()
    description = StrictCharField(required=False, allow_blank=True, max_length=MAX_DESCRIPTION_LENGTH, validators=[_no_control_characters])


class WebhookOutput(serializers.Serializer):
    webhook_id = serializers.UUIDField()
    url = serializers.CharField()
    events = serializers.ListField(child=serializers.CharField())
    description = serializers.CharField(allow_blank=True)
    enabled = serializers.BooleanField(source="is_enabled", help_text="False once disabled (see disabled_reason): nothing is sent.")
    disabled_reason = serializers.CharField(allow_blank=True, help_text="Why it was disabled; empty while enabled.")
    disabled_at = serializers.DateTimeField(allow_null=True)
    consecutive_failures = serializers.IntegerField(help_text="Failed attempts in a row, any message; a delivery resets it.")
    previous_secret_expires_at = serializers.DateTimeField(
        allow_null=True, help_text="After a rotation: until when the previous secret signs too (null: no rotation yet)."
    )
    created_at = serializers.DateTimeField()


class WebhookListOutput(serializers.Serializer):
    results = WebhookOutput(many=True)


SECRET_HELP = "`whsec_…`: the signing secret (Standard Webhooks), shown only in this answer."


class WebhookCreatedOutput(serializers.Serializer):
    webhook_id = serializers.UUIDField()
    url = serializers.CharField()
    events = serializers.ListField(child=serializers.CharField())
    description = serializers.CharField(allow_blank=True)
    secret = serializers.CharField(help_text=SECRET_HELP)
    created_at = serializers.DateTimeField()


class WebhookSecretOutput(serializers.Serializer):
    webhook_id = serializers.UUIDField()
    secret = serializers.CharField(help_text=SECRET_HELP)
    previous_secret_expires_at = serializers.DateTimeField(help_text="Until then, messages are signed with the previous secret too.")


class DeliveriesQuery(QuerySerializer):
    cursor = StrictCharField(required=False, max_length=512)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=200, default=50)


class DeliveryOutput(serializers.Serializer):
    delivery_id = serializers.UUIDField(help_text="The message's `webhook-id` header: the same on every attempt.")
    event_id = serializers.UUIDField(help_text="Shared by the messages of one event to several webhooks.")
    event_type = serializers.CharField()
    status = serializers.ChoiceField(choices=["pending", "sending", "sent", "failed", "discarded"])
    attempts = serializers.IntegerField()
    response_code = serializers.IntegerField(allow_null=True, help_text="The HTTP status of the last attempt; null if none answered.")
    error = serializers.CharField(allow_blank=True, help_text="Why the last attempt failed (a class of error), if it did.")
    next_retry_at = serializers.DateTimeField(allow_null=True, help_text="When the next attempt is due, while pending.")
    last_attempt_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class DeliveryPageOutput(serializers.Serializer):
    results = DeliveryOutput(many=True)
    next = serializers.CharField(allow_null=True, help_text="Cursor of the next page, or null on the last one.")
