"""Admin forms of the tenants context; validation delegates to the services so every surface agrees."""

import json

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

from core.errors import InvalidRequest
from tenants.client_schema import validate_client_schema
from tenants.models import Client
from tenants.schema_example import custom_fields_example
from tenants.validation import validate_client_name, validate_rate_limits


def _rate_limits_help() -> str:
    names = ", ".join(settings.AUTHSVC_RATE_LIMITS)
    return (
        f'Overrides of the default rates, as a JSON object of limit name to rate, e.g. {{"login_ip": "100/m"}}. '
        f"A rate is calls/period, the period s, m, h or d with an optional multiplier (5/15m): "
        f"0 to 1000000000 calls per 1s to 31d. Limits: {names}. Empty: every default applies. A change applies at once."
    )


class IndentedJSONField(forms.JSONField):
    """JSON shown indented by 2 in its textarea (Django's shows it on one line); what it accepts is unchanged."""

    def prepare_value(self, value):
        if isinstance(value, str) or value is None:  # the text typed (kept as typed when invalid), or nothing set
            return super().prepare_value(value)
        return json.dumps(value, ensure_ascii=False, indent=2, cls=self.encoder)


class KeptWhenAbsentChoiceField(forms.TypedChoiceField):
    """A choice a submission may leave out: then the setting keeps its value (ClientForm.clean_mfa_policy) and
    counts as unchanged. The admin's select always sends one; a script posting only the fields it
    changes (as before this setting existed) does not reset it."""

    def __init__(self, **kwargs):
        kwargs["required"] = False
        super().__init__(**kwargs)

    def has_changed(self, initial, data):
        return data not in self.empty_values and super().has_changed(initial, data)


class ClientForm(forms.ModelForm):
    class Meta:
        model = Client
        fields = Client.fields_in_order(*Client.SETTINGS)
        field_classes = {"custom_fields_schema": IndentedJSONField, "rate_limits": IndentedJSONField}
        widgets = {
            "custom_fields_schema": forms.Textarea(attrs={"class": "json-setting"}),
            "rate_limits": forms.Textarea(attrs={"rows": 3, "class": "json-setting"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "rate_limits" in self.fields:
            self.fields["rate_limits"].help_text = _rate_limits_help()
        if "mfa_policy" in self.fields:
            model_field = Client._meta.get_field("mfa_policy")
            self.fields["mfa_policy"] = KeptWhenAbsentChoiceField(
                choices=model_field.choices, initial=self.fields["mfa_policy"].initial, label="MFA policy",
                help_text="required: a user without a second factor enrols TOTP at their next login, before any token is issued.",
            )

    def clean_client_name(self):
        try:
            return validate_client_name(self.cleaned_data.get("client_name"))
        except InvalidRequest as error:
            raise ValidationError((error.fields or {}).get("client_name") or error.detail) from None

    def clean_custom_fields_schema(self):
        schema = self.cleaned_data.get("custom_fields_schema")
        try:
            validate_client_schema(schema)
        except InvalidRequest as error:
            raise ValidationError((error.fields or {}).get("custom_fields_schema") or error.detail) from None
        if self.instance._state.adding:  # a change is saved by client_update, which works it out itself
            # Worked out with the schema it shows, so that the public docs page only renders it.
            self.instance.custom_fields_example = custom_fields_example(schema)
        return schema

    def clean_mfa_policy(self):
        return self.cleaned_data.get("mfa_policy") or self.instance.mfa_policy

    def clean_rate_limits(self):
        try:
            return validate_rate_limits(self.cleaned_data.get("rate_limits"))
        except InvalidRequest as error:
            raise ValidationError((error.fields or {}).get("rate_limits") or error.detail) from None
