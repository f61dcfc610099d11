"""Writes of the tenants context. Views, admin actions and commands all call these."""

import json
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from core.errors import InvalidRequest, NotFound
from core.events import publish
from core.request_meta import RequestMeta
from tenants.access_keys import generate_access_key
from tenants.client_settings import audited_values, client_settings_clean
from tenants.events import (
    AccessKeyRevoked,
    AccessKeyRotated,
    ClientDeactivated,
    ClientDeleted,
    ClientReactivated,
    ClientRegistered,
    ClientTestMailFailed,
    ClientTestMailSent,
    ClientUpdated,
)
from tenants.evolution import BatchReport
from tenants.key_cache import AccessKeySnapshot, access_key_cache
from tenants.models import AccessKey, Client, OrderedJSONField
from tenants.provisioning import ProvisionOutcome, drop_user_collection, provision_user_collection
from tenants.schema_example import custom_fields_example
from tenants.smtp import client_mail_connection, send_failure, smtp_test_mail
from tenants.user_models import user_model_cache

logger = logging.getLogger("authsvc.tenants")

# last_used_at is advisory; writing it on every call would put a write on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class ClientWithKey:
    client: Client
    access_key: str  # shown once, never stored


def _issue_key(client: Client) -> tuple[AccessKey, str]:
    issued = generate_access_key()
    key = AccessKey.objects.create(client=client, key_id=issued.key_id, secret_hash=issued.secret_hash)
    return key, issued.plaintext


def client_provision(*, client: Client, report: BatchReport | None = None) -> ProvisionOutcome:
    return provision_user_collection(client, report=report)


def _provision_when_committed(client: Client) -> None:
    """Provision once the client's row is committed (at once outside a transaction).

    Schema changes cannot run inside a transaction on SQLite, and a collection for a client
    whose row was rolled back would be an orphan. If provisioning fails, the committed client
    is removed again: a client without its collection could sign nobody up.
    """

    def provision() -> None:
        try:
            client_provision(client=client)
        except Exception:
            Client.objects.filter(pk=client.pk).delete()
            raise

    transaction.on_commit(provision, robust=False)


def client_register(
    *,
    client_name: str,
    industry: str,
    surface: str = "api",
    request_meta: RequestMeta | None = None,
    **settings: Any,
) -> ClientWithKey:
    """A new client with the settings given (any of Client.CLIENT_SETTINGS; the others keep their
    defaults), each held to its rules (tenants/client_settings.py); its first key, shown once."""
    cleaned = client_settings_clean({"client_name": client_name, "industry": industry, **settings}, allowed=Client.CLIENT_SETTINGS)

    # The row and its key commit together or not at all; the collection follows the commit.
    with transaction.atomic():
        client = Client.objects.create(**cleaned, custom_fields_example=custom_fields_example(cleaned.get("custom_fields_schema")))
        _, plaintext = _issue_key(client)
        _provision_when_committed(client)
    publish(ClientRegistered(client_id=client.client_id, surface=surface, request_meta=request_meta))
    return ClientWithKey(client=client, access_key=plaintext)


def client_attach_first_key(*, client: Client, surface: str = "admin", request_meta: RequestMeta | None = None) -> str:
    """Give a client saved by the admin form its first key and collection."""
    _, plaintext = _issue_key(client)
    _provision_when_committed(client)
    publish(ClientRegistered(client_id=client.client_id, surface=surface, request_meta=request_meta))
    return plaintext


def client_settings_update(
    *,
    client: Client,
    changes: Mapping[str, Any],
    surface: str = "api",
    request_meta: RequestMeta | None = None,
) -> Client:
    """Change the settings in `changes` (the client's own over the API; every setting from the
    admin), each held to its rules; only those whose value differs are saved and audited, by name
    (and value, unless sealed or JSON). Saving nothing records nothing.

    A sealed setting (Client.SEALED_SETTINGS: `smtp_url`) is saved sealed in the field that holds it
    (its rule, tenants.smtp.smtp_url_seal, seals it); setting one always counts as a change (each
    sealing differs), removing one only when one was set. Saving the row makes this process forget
    the client's remembered keys (tenants/key_cache.py), so its next call reads the new settings.
    """
    allowed = (*Client.CLIENT_SETTINGS, *Client.SEALED_SETTINGS) if surface == "api" else (*Client.SETTINGS, *Client.SEALED_SETTINGS)
    cleaned = client_settings_clean(changes, allowed=allowed)
    changed = [name for name in _in_order(cleaned) if not _same(name, getattr(client, _column(name)), cleaned[name])]
    if not changed:
        return client
    for name in changed:
        setattr(client, _column(name), cleaned[name])
    derived = []
    if "custom_fields_schema" in changed:  # the docs page's example goes with the schema it passes
        client.custom_fields_example = custom_fields_example(client.custom_fields_schema)
        derived.append("custom_fields_example")
    client.save(update_fields=[*map(_column, changed), *derived, "updated_at"])
    publish(
        ClientUpdated(
            client_id=client.client_id,
            fields=tuple(changed),
            values=audited_values(client, changed),
            surface=surface,
            request_meta=request_meta,
        )
    )
    return client


def _column(name: str) -> str:
    """The field that holds setting `name`: itself, or for a sealed setting the field of its sealed value."""
    return Client.SEALED_SETTINGS.get(name, name)


def _in_order(names) -> list[str]:
    """The settings `names` in the order the model declares them, sealed ones last."""
    return [*Client.fields_in_order(*names), *(name for name in Client.SEALED_SETTINGS if name in names)]


def _same(name: str, stored: Any, new: Any) -> bool:
    """Equal as stored: True is not 1; JSON equal, in the same key order where the field keeps the order
    written (a schema is shown as written; PostgreSQL's jsonb reorders the keys of the others); a sealed
    value only when both are none (each sealing of one URL differs)."""
    if name in Client.SEALED_SETTINGS:
        return stored == new == ""
    if isinstance(stored, dict | list) or isinstance(new, dict | list):
        ordered = isinstance(Client._meta.get_field(name), OrderedJSONField)
        return json.dumps(stored, sort_keys=not ordered) == json.dumps(new, sort_keys=not ordered)
    return type(stored) is type(new) and stored == new


def client_smtp_set(*, client: Client, smtp_url: str | None, surface: str = "api", request_meta: RequestMeta | None = None) -> Client:
    """Give the client its own SMTP server (`smtp_url`, kept only sealed), or take it away (None or "":
    its mail goes through ours again). InvalidRequest naming `smtp_url` when refused (tenants.smtp);
    SealingUnavailable (503) when the operator set no sealing key."""
    return client_settings_update(client=client, changes={"smtp_url": smtp_url}, surface=surface, request_meta=request_meta)


@dataclass(frozen=True)
class SmtpTestResult:
    sent: bool
    mail_server: str  # "client" (its own SMTP server) or "service" (ours)
    reason: str = ""  # why not sent (tenants.smtp.SEND_FAILURES)
    detail: str = ""  # the same for staff, never the server's reply


def client_test_mail_send(*, client: Client, to: str, request_meta: RequestMeta | None = None) -> SmtpTestResult:
    """Send a test mail to `to` (an address staff typed) now, the way the client's mails leave; audited.

    Staff wait for the answer, at most EMAIL_TIMEOUT per step: it is one mail, from the admin, not
    a client's request that must not wait on a relay."""
    try:
        validate_email(to)
    except ValidationError:
        raise InvalidRequest(fields={"to": ["Enter a valid email address."]}) from None
    server = "client" if client.smtp_url_sealed else "service"
    try:
        smtp_test_mail(client=client, to=to, connection=client_mail_connection(client)).send()
    except Exception as error:  # noqa: BLE001 - sorted below; anything else is a bug and raises
        failure = send_failure(error)
        if failure is None:
            raise
        reason, detail = failure
        publish(ClientTestMailFailed(client_id=client.client_id, reason=reason, mail_server=server, request_meta=request_meta))
        return SmtpTestResult(sent=False, mail_server=server, reason=reason, detail=detail)
    publish(ClientTestMailSent(client_id=client.client_id, mail_server=server, request_meta=request_meta))
    return SmtpTestResult(sent=True, mail_server=server)


def access_key_rotate(
    *,
    client: Client,
    revoke_existing: bool = False,
    request_meta: RequestMeta | None = None,
) -> str:
    """Issue a new key. Old keys stay valid until revoked, so clients can roll over without downtime."""
    now = timezone.now()
    revoked_ids: list[str] = []
    if revoke_existing:
        live = AccessKey.objects.filter(client=client, revoked_at__isnull=True)
        revoked_ids = list(live.values_list("key_id", flat=True))
        live.update(revoked_at=now)
    # Saving the new key also makes this process forget the client's remembered keys
    # (tenants/key_cache.py), the ones just revoked included.
    key, plaintext = _issue_key(client)
    publish(
        AccessKeyRotated(client_id=client.client_id, key_id=key.key_id, revoked_key_ids=tuple(revoked_ids), request_meta=request_meta)
    )
    return plaintext


def access_key_revoke(*, client: Client, key_id: str, request_meta: RequestMeta | None = None) -> AccessKey:
    """Revoke one key (a leaked one) and leave the client's others working; idempotent."""
    key = AccessKey.objects.filter(client=client, key_id=key_id).first()
    if key is None:
        raise NotFound(f"No access key {key_id[:32]!r} for this client.")
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])  # saving also forgets the remembered key (key_cache)
        publish(AccessKeyRevoked(client_id=client.client_id, key_id=key.key_id, request_meta=request_meta))
    return key


def access_key_touch(*, key: AccessKeySnapshot) -> None:
    now = timezone.now()
    if key.last_used_at is not None and now - key.last_used_at < LAST_USED_RESOLUTION:
        return
    AccessKey.objects.filter(pk=key.pk).update(last_used_at=now)
    access_key_cache.note_used(key, now)


def client_deactivate(*, client: Client, request_meta: RequestMeta | None = None) -> Client:
    if client.is_active:
        client.is_active = False
        client.save(update_fields=["is_active", "updated_at"])
    publish(ClientDeactivated(client_id=client.client_id, request_meta=request_meta))
    return client


def client_reactivate(*, client: Client, request_meta: RequestMeta | None = None) -> Client:
    """Undo client_deactivate: its unrevoked keys are accepted again; its users and their tokens were kept."""
    if not client.is_active:
        client.is_active = True
        client.save(update_fields=["is_active", "updated_at"])  # saving also forgets the remembered keys
    publish(ClientReactivated(client_id=client.client_id, request_meta=request_meta))
    return client


def client_delete(*, client: Client, confirm: bool, request_meta: RequestMeta | None = None) -> None:
    """Delete a client, its keys and its users' collection. Irreversible, hence `confirm`."""
    if not confirm:
        raise InvalidRequest("Deleting a client drops its users; confirm to proceed.")
    client_id: uuid.UUID = client.client_id
    drop_user_collection(client)
    client.delete()
    user_model_cache.forget(client_id)
    publish(ClientDeleted(client_id=client_id, request_meta=request_meta))
