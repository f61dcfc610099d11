"""The client's settings as the API takes and answers them; the fields come from `Client.CLIENT_SETTINGS`,
so a setting added there is registered, changed (PATCH) and answered without an edit here. Fields are
built from the model's (its type, `max_length`, choices and validators), as strict fields: text must
be text, a flag a boolean, a number an integer, never coerced. Fields declared below refine what the
model would give (the list of industries in the message, the schemas of `mail_templates` and the
policies). What the
values must be beyond their type is checked once, for every surface, by tenants/client_settings.py."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.fields import ParsedJSONField, StrictBooleanField, StrictCharField, StrictIntegerField
from core.serializers import StrictSerializer
from tenants.mail_templates import SCHEMA as MAIL_TEMPLATES_SCHEMA
from tenants.models import Client, Industry, TokenIssuer
from tenants.policies import LockoutPolicy, PasswordPolicy
from tenants.selectors import client_smtp_host, documentation_url
from tenants.validation import MAX_CLIENT_NAME_LENGTH

STRICT = {
    serializers.CharField: StrictCharField,
    serializers.BooleanField: StrictBooleanField,
    serializers.IntegerField: StrictIntegerField,
    serializers.JSONField: ParsedJSONField,
}
# What no call may set: the record's identity, state and timestamps, staff's settings, what is derived
# (among it the sealed value of smtp_url, and what GET says of it).
NOT_SETTABLE = frozenset(
    {field.name for field in Client._meta.concrete_fields} - set(Client.CLIENT_SETTINGS)
    | {"documentation_url", "smtp_configured", "smtp_host"}
)


@extend_schema_field(MAIL_TEMPLATES_SCHEMA)
class MailTemplatesField(ParsedJSONField):
    """`mail_templates` as the OpenAPI description shows it (tenants/mail_templates.py checks it)."""


@extend_schema_field(PasswordPolicy.SCHEMA)
class PasswordPolicyField(ParsedJSONField):
    """`password_policy` as the OpenAPI description shows it (tenants/policies.py checks it)."""


@extend_schema_field(LockoutPolicy.SCHEMA)
class LockoutField(ParsedJSONField):
    """`lockout` as the OpenAPI description shows it (tenants/policies.py checks it)."""


def policy_field(field_class: type[ParsedJSONField], name: str, **kwargs) -> ParsedJSONField:
    """A policy setting's field, with its model field's text (tenants/client_settings.py checks the value)."""
    return field_class(help_text=Client._meta.get_field(name).help_text, **kwargs)


class ClientSettingsFields(serializers.ModelSerializer):
    serializer_field_mapping = {model: STRICT.get(field, field) for model, field in serializers.ModelSerializer.serializer_field_mapping.items()}

    client_name = StrictCharField(max_length=MAX_CLIENT_NAME_LENGTH)
    industry = serializers.ChoiceField(
        choices=Industry.choices,
        error_messages={"invalid_choice": '"{input}" is not a valid industry. Choose one of: ' + ", ".join(Industry.values) + "."},
    )
    require_email_verification = StrictBooleanField(required=False, default=False)
    custom_fields_schema = ParsedJSONField(required=False, allow_null=True, default=None)
    token_issuer = serializers.ChoiceField(
        choices=TokenIssuer.choices,
        required=False,
        default=TokenIssuer.CLIENT,
        help_text="The `iss` of this client's access tokens: `client` (default), an issuer of its own, "
        "`{AUTHSVC_ISSUER}/api/v1/{client_id}` with its own discovery document; `service`, the service's issuer "
        "shared by every client (then only `aud` tells clients' tokens apart).",
    )
    mail_templates = MailTemplatesField(required=False, allow_null=True, help_text=Client._meta.get_field("mail_templates").help_text)
    password_policy = policy_field(PasswordPolicyField, "password_policy", required=False, allow_null=True)
    lockout = policy_field(LockoutField, "lockout", required=False, allow_null=True)

    class Meta:
        model = Client
        fields = Client.fields_in_order(*Client.CLIENT_SETTINGS)


class ClientRegisterInput(ClientSettingsFields):
    pass


class ClientSettingsInput(StrictSerializer, ClientSettingsFields):
    """Any of the client's settings, to change (PATCH: each is optional); any other key is refused (400 naming it)."""

    read_only_names = NOT_SETTABLE
    # Write-only (Client.SEALED_SETTINGS): kept sealed, never answered; tenants.smtp checks it.
    smtp_url = StrictCharField(
        write_only=True,
        required=False,
        allow_null=True,
        allow_blank=True,
        max_length=2048,
        help_text="Your own SMTP server, which your users' mails then leave through: smtp+tls://user:password@host:587 "
        "(STARTTLS), smtps://user:password@host:465 (TLS) or smtp://host:25; write-only (GET says smtp_configured and "
        "smtp_host); null or empty removes it.",
    )

    class Meta(ClientSettingsFields.Meta):
        fields = [*ClientSettingsFields.Meta.fields, *Client.SEALED_SETTINGS]


class ClientRegisterOutput(serializers.Serializer):
    client_id = serializers.UUIDField()
    client_name = serializers.CharField()
    industry = serializers.CharField()
    access_key = serializers.CharField()
    documentation_url = serializers.URLField()
    created_at = serializers.DateTimeField()


class ClientOutput(serializers.ModelSerializer):
    password_policy = policy_field(PasswordPolicyField, "password_policy")
    lockout = policy_field(LockoutField, "lockout")
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
