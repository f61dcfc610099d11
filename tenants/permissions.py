"""The path's client must be the key's client, and that client must be active."""

from rest_framework import exceptions
from rest_framework.permissions import BasePermission

from core.request_meta import request_meta
from tenants import signals
from tenants.key_cache import AccessKeySnapshot
from tenants.models import Client
from tenants.ratelimits import enforce_client_limit


def announce_refusal(request, view, *, reason: str, client: Client | None = None) -> None:
    """Tell listeners (audit) that a call was refused before reaching its view."""
    metadata = {}
    if client is not None and view is not None and "client_id" in getattr(view, "kwargs", {}):
        metadata["path_client_id"] = str(view.kwargs["client_id"])
    signals.access_key_refused.send(
        sender=Client,
        client=client,
        reason=reason,
        action=getattr(view, "action_name", ""),
        request_meta=request_meta(request, key_is_valid=client is not None),
        metadata=metadata,
    )


class IsPathClient(BasePermission):
    """Key of client A on `/api/v1/<B>/...` → 403, and nothing of B is touched."""

    def has_permission(self, request, view) -> bool:
        key = request.auth
        if not isinstance(key, AccessKeySnapshot):
            announce_refusal(request, view, reason="missing")
            raise exceptions.NotAuthenticated("A valid access key is required: Authorization: Bearer <access_key>.")
        client = request.user
        if client.client_id != view.kwargs.get("client_id"):
            announce_refusal(request, view, reason="wrong_client", client=client)
            raise exceptions.PermissionDenied("This access key may not act on this client.")
        if not client.is_active:
            announce_refusal(request, view, reason="client_disabled", client=client)
            raise exceptions.PermissionDenied("This client is disabled.")
        enforce_client_limit(
            request,
            client=client,
            limit="access_key",
            key=key.key_id,
            action=getattr(view, "action_name", "") or "api_call",
            request_meta=request_meta(request, key_is_valid=True),
        )
        return True
