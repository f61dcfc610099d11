"""The path's client must be the key's client, and that client must be active."""

from rest_framework import exceptions
from rest_framework.permissions import BasePermission

from tenants import signals
from tenants.models import AccessKey, Client
from tenants.request_meta import request_meta


class IsPathClient(BasePermission):
    """Key of client A on `/api/v1/<B>/...` → 403, and nothing of B is touched."""

    def has_permission(self, request, view) -> bool:
        key = request.auth
        if not isinstance(key, AccessKey):
            signals.access_key_refused.send(
                sender=Client, client=None, reason="missing", request_meta=request_meta(request, key_is_valid=False)
            )
            raise exceptions.NotAuthenticated("A valid access key is required: Authorization: Bearer <access_key>.")
        client = key.client
        if client.client_id != view.kwargs.get("client_id"):
            signals.access_key_refused.send(
                sender=Client, client=client, reason="wrong_client", request_meta=request_meta(request, key_is_valid=True)
            )
            raise exceptions.PermissionDenied("This access key may not act on this client.")
        if not client.is_active:
            signals.access_key_refused.send(
                sender=Client, client=client, reason="client_disabled", request_meta=request_meta(request, key_is_valid=True)
            )
            raise exceptions.PermissionDenied("This client is disabled.")
        return True
