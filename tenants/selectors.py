"""Reads of the tenants context."""

import logging
import uuid
from collections.abc import Collection

from django.conf import settings
from django.db.models import Count, QuerySet
from django.urls import reverse

from core.errors import InvalidRequest, NotFound
from core.queries import one_or_none
from crypto.errors import SealingError
from tenants.key_cache import AccessKeySnapshot, access_key_cache
from tenants.models import AccessKey, Client
from tenants.smtp import client_smtp_server

logger = logging.getLogger("authsvc.tenants")


def parse_client_id(value: object) -> uuid.UUID | None:
    """A client_id from untrusted input (path, command line), or None if it is not a UUID."""
    if isinstance(value, uuid.UUID):
        return value
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def client_get(*, client_id: object) -> Client:
    parsed = parse_client_id(client_id)
    client = one_or_none(Client.objects.filter(pk=parsed)) if parsed else None
    if client is None:
        raise NotFound(f"No client {str(client_id)[:64]!r}.")
    return client


def client_list(*, industry: str | None = None, is_active: bool | None = None) -> QuerySet[Client]:
    clients = Client.objects.all()
    if industry:
        clients = clients.filter(industry=industry)
    if is_active is not None:
        clients = clients.filter(is_active=is_active)
    return clients.order_by("created_at")


def client_names(*, client_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The names of those of `client_ids` that still exist, in one query."""
    if not client_ids:
        return {}
    return dict(Client.objects.filter(pk__in=list(client_ids)).values_list("client_id", "client_name"))


def live_access_key_counts() -> dict[uuid.UUID, int]:
    """Unrevoked keys per client_id, in one grouped query rather than one per client."""
    rows = (
        AccessKey.objects.filter(revoked_at__isnull=True)
        .values("client_id")
        .annotate(live=Count("id"))
        .order_by()
    )
    return {row["client_id"]: row["live"] for row in rows}


def access_key_list(*, client: Client) -> QuerySet[AccessKey]:
    """The client's keys, revoked ones included, oldest first."""
    return AccessKey.objects.filter(client=client).order_by("created_at", "key_id")


def access_key_get(*, client: Client, key_id: str) -> AccessKey:
    key = one_or_none(access_key_list(client=client).filter(key_id=key_id))
    if key is None:
        raise NotFound(f"No access key {key_id[:32]!r} for this client.")
    return key


def access_key_find(*, key_id: str) -> AccessKey | None:
    return one_or_none(AccessKey.objects.select_related("client").filter(key_id=key_id))


def access_key_for_request(*, key_id: str) -> AccessKeySnapshot | None:
    """The key (and its client) an API call presents: remembered for a few seconds per process."""

    def load() -> AccessKeySnapshot | None:
        key = access_key_find(key_id=key_id)
        return None if key is None else AccessKeySnapshot.of(key)

    return access_key_cache.get(key_id, load)


def documentation_url(client: Client) -> str:
    return settings.AUTHSVC_PUBLIC_URL + reverse("client-docs", args=[str(client.client_id)])


def api_base_url(client: Client) -> str:
    return settings.AUTHSVC_PUBLIC_URL + reverse("client-detail", args=[client.client_id])


def registration_mode() -> str:
    """`token` (AUTHSVC_REGISTRATION_TOKEN set), `open` (AUTHSVC_OPEN_REGISTRATION) or `closed`."""
    if settings.AUTHSVC_REGISTRATION_TOKEN:
        return "token"
    return "open" if settings.AUTHSVC_OPEN_REGISTRATION else "closed"


def client_smtp_host(client: Client) -> str | None:
    """The host of the client's own SMTP server, or None without one or when its setting cannot be read
    (a sealing key dropped too soon: the mail worker reports that, a read of the settings must not fail)."""
    try:
        server = client_smtp_server(client)
    except (SealingError, InvalidRequest):
        logger.warning("client %s: its stored smtp_url cannot be unsealed or parsed; set it again", client.client_id)
        return None
    return server.host if server is not None else None
