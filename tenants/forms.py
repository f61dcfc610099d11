"""Admin forms of the tenants context; validation delegates to the rules every surface shares
(tenants/client_settings.py), and saving to the services."""

import json
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from core.errors import InvalidRequest
from crypto.errors import SealingUnavailable
from tenants.client_settings import Sealed, client_setting_clean
from tenants.models import Client
from tenants.policies import POLICIES
from tenants.schema_example import custom_fields_example

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


class KeptWhenEmptyIntegerField(forms.IntegerField):
    """A number that, left out of the form or emptied, stays what it was: it is neither required nor a change."""

    def __init__(self, **kwargs):
        super().__init__(**{**kwargs, "required": False})

    def has_changed(self, initial, data) -> bool:
        return data not in self.empty_values and super().has_changed(initial, data)


SMTP_URL_HELP = (
    "The client's own SMTP server, which its users' mails then leave through: smtp+tls://user:password@host:587 "
    "(STARTTLS), smtps://user:password@host:465 (TLS) or smtp://host:25 (no TLS); characters such as @ in the password "
    "percent-encoded (%40). Write-only: stored sealed, never shown again. Empty: unchanged."
)
# Every JSON setting is edited as indented JSON in a textarea, a new one included.
JSON_SETTINGS = tuple(name for name in Client.SETTINGS if isinstance(Client._meta.get_field(name), models.JSONField))


class ClientForm(forms.ModelForm):
    """The settings of Client.SETTINGS, each changed one held to the rules every surface shares
    (tenants/client_settings.py). Only changed ones, so that an old value saved before a rule
    existed does not stop staff from changing another setting."""

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
        field_classes = dict.fromkeys(JSON_SETTINGS, IndentedJSONField) | {"refresh_reuse_interval": KeptWhenEmptyIntegerField}
        widgets = {name: forms.Textarea(attrs={"class": "json-setting"}) for name in JSON_SETTINGS} | {
            "rate_limits": forms.Textarea(attrs={"rows": 3, "class": "json-setting"}),
            # Wide enough to read a page's URL with its query (a text box: the browser checks nothing, the rules do).
            "verify_email_url": forms.TextInput(attrs={"class": "vURLField"}),
            "reset_password_url": forms.TextInput(attrs={"class": "vURLField"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "rate_limits" in self.fields:
            self.fields["rate_limits"].help_text = _rate_limits_help()
        if self.instance._state.adding:  # set on the client's page, once it exists
            for name in SEALED_FORM_FIELDS:
                self.fields.pop(name, None)
        self._keep_policies_left_out()
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

    def clean_smtp_url(self) -> Sealed | None:
        """Checked and sealed here, so that a refusal (or a missing sealing key) shows on the form; only
        the sealed value stays in cleaned_data, so nothing later can echo the typed URL."""
        typed = self.cleaned_data.get("smtp_url") or ""
        if not typed:
            return None
        try:
            return Sealed(client_setting_clean("smtp_url", typed))
        except InvalidRequest as error:
            raise ValidationError((error.fields or {}).get("smtp_url") or error.detail) from None
        except SealingUnavailable as error:
            raise ValidationError(error.detail) from None

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("smtp_url_clear") and "smtp_url" in self.changed_data:
            raise ValidationError({"smtp_url_clear": "Type a new SMTP URL or remove the server, not both."})
        adding = self.instance._state.adding
        for name in Client.SETTINGS:  # the sealed one was checked by its own clean_ method
            if name not in cleaned or not (adding or name in self.changed_data):
                continue
            try:
                cleaned[name] = client_setting_clean(name, cleaned[name])
            except InvalidRequest as error:
                self.add_error(name, (error.fields or {}).get(name) or error.detail)
        if adding and "custom_fields_schema" in cleaned:
            # Worked out with the schema it shows, so that the public docs page only renders it (a
            # change is saved by client_settings_update, which works it out itself).
            self.instance.custom_fields_example = custom_fields_example(cleaned["custom_fields_schema"])
        return cleaned

    def clean_refresh_reuse_interval(self):
        # Left out or emptied: what it was (strict rotation for a new client).
        seconds = self.cleaned_data.get("refresh_reuse_interval")
        return self.instance.refresh_reuse_interval if seconds is None else seconds

    def changes(self) -> dict[str, Any]:
        """The settings changed, by the names the services and audit know, for client_settings_update:
        `smtp_url` sealed already when typed, "" when removed."""
        changes = {name: self.cleaned_data[name] for name in self.changed_data if name in Client.SETTINGS}
        if self.cleaned_data.get("smtp_url") is not None:
            changes["smtp_url"] = self.cleaned_data["smtp_url"]
        elif self.cleaned_data.get("smtp_url_clear"):
            changes["smtp_url"] = ""
        return changes

    def _keep_policies_left_out(self) -> None:
        """A post without a policy's box (a script, a page rendered before it existed) keeps the policy:
        a lockout must never turn off because a form did not show it. An empty box means the defaults."""
        for name in POLICIES:
            if name in self.fields:
                self.fields[name].required = False
                # Its default is a callable, for which Django compares with a hidden copy of the value
                # first shown; the default is the same every time, so the shown value itself is compared.
                self.fields[name].show_hidden_initial = False
                if self.is_bound and name not in self.data:
                    self.data = self.data.copy()
                    self.data[name] = json.dumps(getattr(self.instance, name))


class MailTestForm(forms.Form):
    """The address staff send a client's test mail to."""

    to = forms.EmailField(label="Send to", max_length=254, widget=forms.EmailInput(attrs={"autofocus": True, "size": 40}))
