"""What happens to client companies and their access keys: the tenants events.

Published by tenants.services (whichever surface called it: the API, the admin, a command);
audit subscribes (audit.receivers). `client_id` is the client's, `user_id` is never set.
"""

from dataclasses import dataclass

from core.events import Event, Failure


@dataclass(frozen=True, kw_only=True)
class ClientRegistered(Event, name="client.registered"):
    """A client company was registered, with its first access key; `surface`: api, admin or command."""

    surface: str


@dataclass(frozen=True, kw_only=True)
class AccessKeyRotated(Event, name="access_key.rotated"):
    """A new access key was issued (`key_id`, the public half); `revoked_key_ids` were revoked with it."""

    key_id: str
    revoked_key_ids: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class AccessKeyRevoked(Event, name="access_key.revoked"):
    """One access key was revoked; the client's others keep working."""

    key_id: str


@dataclass(frozen=True, kw_only=True)
class ClientUpdated(Event, name="client.updated"):
    """A client's settings changed, by the client (`surface` api: PATCH /api/v1/{client_id}/) or by
    staff (admin); `fields` names every setting changed, `values` holds the new value of each plain
    one (text, number, flag, null) that is not a secret: JSON settings and secrets are named only."""

    fields: tuple[str, ...]
    values: dict[str, str | int | float | bool | None]
    surface: str


@dataclass(frozen=True, kw_only=True)
class ClientDeactivated(Event, name="client.deactivated"):
    """A client was switched off: its keys are refused until it is reactivated."""


@dataclass(frozen=True, kw_only=True)
class ClientReactivated(Event, name="client.reactivated"):
    """A deactivated client was switched on again."""


@dataclass(frozen=True, kw_only=True)
class ClientDeleted(Event, name="client.deleted"):
    """A client, its keys and its users were deleted for good."""


@dataclass(frozen=True, kw_only=True)
class ClientTestMailSent(Event, name="client.test_mail_sent"):
    """Staff sent a test mail through the server the client's mail leaves by; `mail_server` is
    `client` (its own SMTP server) or `service` (ours). The recipient is not recorded."""

    mail_server: str


@dataclass(frozen=True, kw_only=True)
class ClientTestMailFailed(Failure, name="client.test_mail_failed"):
    """A test mail staff sent did not go: `reason` says why (the server refused the login, could not be
    reached, refused the mail, or the stored setting cannot be unsealed)."""

    mail_server: str
