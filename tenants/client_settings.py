"""The rules a client's settings are held to, whichever surface sets them: registration, `PATCH
/api/v1/{client_id}/`, the admin's forms (tenants.services and tenants.forms call these).

A setting's value is checked by its rule here, if it has one (a function that returns the value as
stored or raises InvalidRequest naming the setting), and then by its model field: type, choices,
`max_length`, `validators`. So a setting added to `Client` and `Client.CLIENT_SETTINGS` whose checks
are its field's own (choices, validators) needs no edit here; one that must be normalised or needs
more than a validator adds its rule to RULES. A sealed setting (Client.SEALED_SETTINGS) has no field
of its own: its rule returns the sealed value its field stores.
"""

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models

from core.errors import InvalidRequest
from core.nesting import deeper_than
from tenants.client_links import validate_link_url
from tenants.client_schema import validate_client_schema
from tenants.mail_templates import validate_mail_templates
from tenants.models import Client
from tenants.passkey_settings import passkey_origins_clean, passkey_rp_id_clean
from tenants.policies import POLICIES, policy_setting_clean
from tenants.smtp import smtp_url_seal
from tenants.validation import (
    validate_client_name,
    validate_industry,
    validate_mail_reply_to,
    validate_mail_sender_name,
    validate_rate_limits,
    validate_refresh_reuse_interval,
)

# A JSON setting deeper than this is refused before anything walks it (recursively, as Django's
# JSONField check does): no setting needs more, and the schema's own limit is the same.
MAX_JSON_DEPTH = 32


def _schema(schema: object) -> object:
    validate_client_schema(schema)
    return schema


def _policy(value: object, *, name: str) -> dict:
    """A policy as stored: every key, those left out at their defaults (not at their current values:
    a setting is replaced whole); null, the defaults."""
    try:
        return policy_setting_clean(POLICIES[name], {} if value is None else value)
    except ValidationError as error:
        raise InvalidRequest(f"{name} is not accepted.", fields={name: error.messages}) from None


RULES: dict[str, Callable[[Any], Any]] = {
    "client_name": validate_client_name,
    "industry": validate_industry,
    "custom_fields_schema": _schema,
    "verify_email_url": partial(validate_link_url, field="verify_email_url"),
    "reset_password_url": partial(validate_link_url, field="reset_password_url"),
    "mail_sender_name": validate_mail_sender_name,
    "mail_reply_to": validate_mail_reply_to,
    "mail_templates": validate_mail_templates,
    # The model field would take "30", 1.5 or true for a number: a whole number of seconds only.
    "refresh_reuse_interval": validate_refresh_reuse_interval,
    "password_policy": partial(_policy, name="password_policy"),
    "lockout": partial(_policy, name="lockout"),
    "passkey_rp_id": passkey_rp_id_clean,
    "passkey_origins": passkey_origins_clean,
    "rate_limits": validate_rate_limits,
    "smtp_url": smtp_url_seal,
}


@dataclass(frozen=True)
class Sealed:
    """A sealed setting's value that its rule already checked and sealed (the admin form seals it to
    show a refusal beside its box): taken as it is. No request body can make one."""

    token: str


def client_setting_clean(name: str, value: Any) -> Any:
    """One setting's value as it is stored; InvalidRequest (400) naming the setting if it is refused."""
    if name in Client.SEALED_SETTINGS:
        return value.token if isinstance(value, Sealed) else RULES[name](value)
    field = Client._meta.get_field(name)
    if isinstance(field, models.JSONField) and deeper_than(value, MAX_JSON_DEPTH - 1):
        raise InvalidRequest(f"{name} is not accepted.", fields={name: [f"Must be nested at most {MAX_JSON_DEPTH} levels deep."]})
    rule = RULES.get(name)
    if rule is not None:
        value = rule(value)
    try:
        return field.clean(value, None)
    except ValidationError as error:
        raise InvalidRequest(f"{name} is not accepted.", fields={name: error.messages}) from None


def client_settings_clean(changes: Mapping[str, Any], *, allowed: Collection[str]) -> dict[str, Any]:
    """Every setting of `changes` as stored, or one InvalidRequest naming each refused one (and any
    name that is not among the `allowed` settings)."""
    cleaned: dict[str, Any] = {}
    problems: dict[str, list[str]] = {}
    for name, value in changes.items():
        if name not in allowed:
            problems[name] = ["Set by staff only." if name in Client.SETTINGS else "Unknown setting."]
            continue
        try:
            cleaned[name] = client_setting_clean(name, value)
        except InvalidRequest as error:
            problems.update(error.fields or {name: [error.detail]})
    if problems:
        raise InvalidRequest("Some settings are not accepted.", fields=problems)
    return cleaned


def audited_values(client: Client, names: Collection[str]) -> dict[str, Any]:
    """What the audit trail keeps of the settings `names` changed: the new value of each plain one
    (text, number, flag, none) that is not sealed. JSON settings and sealed ones are named, not shown."""
    shown = (name for name in names if name not in Client.SEALED_SETTINGS)
    return {name: value for name in shown if isinstance(value := getattr(client, name), str | int | float | bool | None)}
