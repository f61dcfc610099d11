"""The path's client must be the key's client, and that client must be active.

A check without side effects: it raises, and the exception handler announces the refusal.
"""

from rest_framework.permissions import BasePermission

from clientapi.authentication import key_refused
from core.errors import Forbidden


def _client_refused(problem: str, detail: str, *, path_client_id) -> Forbidden:
    return Forbidden(detail, key_problem=problem, path_client_id=str(path_client_id))


class IsPathClient(BasePermission):
    """Key of client A on `/api/v1/<B>/...` → 403, and nothing of B is touched."""

    def has_permission(self, request, view) -> bool:
        client = view.client
        if client is None:
            raise key_refused("missing", "A valid access key is required: Authorization: Bearer <access_key>.")
        path_client_id = view.kwargs.get("client_id")
        if client.client_id != path_client_id:
            raise _client_refused("wrong_client", "This access key may not act on this client.", path_client_id=path_client_id)
        if not client.is_active:
            raise _client_refused("client_disabled", "This client is disabled.", path_client_id=path_client_id)
        return True
