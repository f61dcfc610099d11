"""The client's settings as the API takes and answers them; the fields come from `Client.CLIENT_SETTINGS`,
so a setting added there is registered and answered without an edit here. Fields declared below
refine what the model would give (strict types, the list of industries in the message)."""

from rest_framework import serializers

from core.fields import StrictBooleanField, StrictCharField
from tenants.models import Client, Industry, TokenIssuer
from tenants.selectors import client_smtp_host, documentation_url
from tenants.validation import MAX_CLIENT_NAME_LENGTH


class ClientRegisterInput(serializers.ModelSerializer):
    client_name = StrictCharField(max_length=MAX_CLIENT_NAME_LENGTH)
    industry = serializers.ChoiceField(
        choices=Industry.choices,
        error_messages={"invalid_choice": '"{input}" is not a valid industry. Choose one of: ' + ", ".join(Industry.values) + "."},
    )
    require_email_verification = StrictBooleanField(required=False, default=False)
    custom_fields_schema = serializers.JSONField(required=False, allow_null=True, default=None)
    token_issuer = serializers.ChoiceField(
        choices=TokenIssuer.choices,
        required=False,
        default=TokenIssuer.CLIENT,
        help_text="The `iss` of this client's access tokens: `client` (default), an issuer of its own, "
        "`{AUTHSVC_ISSUER}/api/v1/{client_id}` with its own discovery document; `service`, the service's issuer "
        "shared by every client (then only `aud` tells clients' tokens apart).",
    )

    class Meta:
        model = Client
        fields = Client.fields_in_order(*Client.CLIENT_SETTINGS)


class ClientRegisterOutput(serializers.Serializer):
    client_id = serializers.UUIDField()
    client_name = serializers.CharField()
    industry = serializers.CharField()
    access_key = serializers.CharField()
    documentation_url = serializers.URLField()
    created_at = serializers.DateTimeField()


class ClientOutput(serializers.ModelSerializer):
    documentation_url = serializers.SerializerMethodField()
    # The write-only smtp_url is never answered: only whether one is set, and its host.
    smtp_configured = serializers.SerializerMethodField(help_text="Whether the client's mail leaves through its own SMTP server (`smtp_url`).")
    smtp_host = serializers.SerializerMethodField(help_text="That server's host; null without one.")

    class Meta:
        model = Client
        fields = [
            *Client.fields_in_order("client_id", "is_active", *Client.CLIENT_SETTINGS),
            "smtp_configured",
            "smtp_host",
            "documentation_url",
            "created_at",
        ]

    def get_documentation_url(self, client: Client) -> str:
        return documentation_url(client)

    def get_smtp_configured(self, client: Client) -> bool:
        return bool(client.smtp_url_sealed)

    def get_smtp_host(self, client: Client) -> str | None:
        return client_smtp_host(client)
