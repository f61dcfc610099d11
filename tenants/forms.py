"""Admin forms of the tenants context; validation delegates to the services so every surface agrees."""

import json

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

from core.errors import InvalidRequest
from crypto.errors import SealingUnavailable
from tenants.client_schema import validate_client_schema
from tenants.models import Client
from tenants.schema_example import custom_fields_example
from tenants.smtp import smtp_url_seal
from tenants.validation import validate_client_name, validate_rate_limits

# The change page's boxes of the write-only `smtp_url` (Client.SEALED_SETTINGS).
SEALED_FORM_FIELDS = ("smtp_url", "smtp_url_clear")


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


SMTP_URL_HELP = (
    "The client's own SMTP server, which its users' mails then leave through: smtp+tls://user:password@host:587 "
    "(STARTTLS), smtps://user:password@host:465 (TLS) or smtp://host:25 (no TLS); characters such as @ in the password "
    "percent-encoded (%40). Write-only: stored sealed, never shown again. Empty: unchanged."
)


class ClientForm(forms.ModelForm):
    # Write-only (Client.SEALED_SETTINGS): an empty box leaves the stored value alone, and the
    # page never renders it back (render_value=False), nor what was typed when the form is refused.
    smtp_url = forms.CharField(
        required=False,
        strip=True,
        label="SMTP server (smtp_url)",
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off", "size": 60}),
        help_text=SMTP_URL_HELP,
    )
    smtp_url_clear = forms.BooleanField(
        required=False, label="Remove the SMTP server", help_text="Its users' mails go through this service's server again."
    )

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
        if self.instance._state.adding:  # set on the client's page, once it exists
            for name in SEALED_FORM_FIELDS:
                self.fields.pop(name, None)

        if self.is_bound and "token_issuer" in self.fields and "token_issuer" not in self.data:
            # A post without the field (a script, a page rendered before it existed) keeps the issuer:
            # a new `iss` fails the tokens at every verifier configured with the old one, so it is
            # only ever what staff chose.
            self.data = self.data.copy()
            self.data["token_issuer"] = self.instance.token_issuer
        if self.is_bound and "mfa_policy" in self.fields and "mfa_policy" not in self.data:
            # Likewise the MFA policy: a post that does not name it neither relaxes nor tightens it.
            self.data = self.data.copy()
            self.data["mfa_policy"] = self.instance.mfa_policy

    def clean_smtp_url(self):
        """Sealed here, so that a refusal (or a missing sealing key) shows on the form; the typed URL
        leaves cleaned_data, so nothing later can echo it."""
        typed = self.cleaned_data.get("smtp_url") or ""
        if typed:
            try:
                self.instance.smtp_url_sealed = smtp_url_seal(typed)
            except InvalidRequest as error:
                raise ValidationError((error.fields or {}).get("smtp_url") or error.detail) from None
            except SealingUnavailable as error:
                raise ValidationError(error.detail) from None
        return ""

    def clean(self):
        cleaned = super().clean()
        if self.cleaned_data.get("smtp_url_clear"):
            if "smtp_url" in self.changed_data:
                raise ValidationError({"smtp_url_clear": "Type a new SMTP URL or remove the server, not both."})
            self.instance.smtp_url_sealed = ""
        return cleaned

    def changed_settings(self) -> list[str]:
        """The settings changed, by the names the services and audit know: `smtp_url` for either box."""
        names = [name for name in self.changed_data if name not in SEALED_FORM_FIELDS]
        if "smtp_url" in self.changed_data or self.cleaned_data.get("smtp_url_clear"):
            names.append("smtp_url")
        return names

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

    def clean_rate_limits(self):
        try:
            return validate_rate_limits(self.cleaned_data.get("rate_limits"))
        except InvalidRequest as error:
            raise ValidationError((error.fields or {}).get("rate_limits") or error.detail) from None


class MailTestForm(forms.Form):
    """The address staff send a client's test mail to."""

    to = forms.EmailField(label="Send to", max_length=254, widget=forms.EmailInput(attrs={"autofocus": True, "size": 40}))
