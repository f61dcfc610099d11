"""Admin forms of the tenants context; validation delegates to the services so every surface agrees."""

from django import forms
from django.core.exceptions import ValidationError

from tenants.errors import InvalidRequest
from tenants.models import Client
from tenants.services import validate_custom_fields_schema


class ClientForm(forms.ModelForm):
    class Meta:
        model = Client
        fields = ["client_name", "industry", "require_email_verification", "custom_fields_schema"]

    def clean_custom_fields_schema(self):
        schema = self.cleaned_data.get("custom_fields_schema")
        try:
            validate_custom_fields_schema(schema)
        except InvalidRequest as error:
            raise ValidationError((error.fields or {}).get("custom_fields_schema") or error.detail) from None
        return schema
