from rest_framework import serializers

from core.fields import StrictBooleanField, StrictCharField
from tenants.models import Client, Industry
from tenants.selectors import documentation_url
from tenants.validation import MAX_CLIENT_NAME_LENGTH


class ClientRegisterInput(serializers.Serializer):
    client_name = StrictCharField(max_length=MAX_CLIENT_NAME_LENGTH)
    industry = serializers.ChoiceField(
        choices=Industry.choices,
        error_messages={"invalid_choice": '"{input}" is not a valid industry. Choose one of: ' + ", ".join(Industry.values) + "."},
    )
    require_email_verification = StrictBooleanField(required=False, default=False)
    custom_fields_schema = serializers.JSONField(required=False, allow_null=True, default=None)


class ClientRegisterOutput(serializers.Serializer):
    client_id = serializers.UUIDField()
    client_name = serializers.CharField()
    industry = serializers.CharField()
    access_key = serializers.CharField()
    documentation_url = serializers.URLField()
    created_at = serializers.DateTimeField()


class ClientOutput(serializers.ModelSerializer):
    documentation_url = serializers.SerializerMethodField()

    class Meta:
        model = Client
        fields = [
            "client_id",
            "client_name",
            "industry",
            "is_active",
            "require_email_verification",
            "custom_fields_schema",
            "documentation_url",
            "created_at",
        ]

    def get_documentation_url(self, client: Client) -> str:
        return documentation_url(client)
