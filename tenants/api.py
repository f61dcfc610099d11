"""The base of every per-client API view (`/api/v1/<client_id>/...`), whichever app serves it."""

import json
from functools import cached_property

from rest_framework.exceptions import MethodNotAllowed
from rest_framework.views import APIView

from core.request_meta import request_meta
from tenants import signals
from tenants.authentication import AccessKeyAuthentication
from tenants.permissions import IsPathClient
from tenants.ratelimits import enforce_client_limit


def _is_attempt(exc: Exception) -> bool:
    """A method the path does not take (405) attempted none of its actions: nothing to audit."""
    return not isinstance(exc, MethodNotAllowed)


class ClientApi(APIView):
    # Not a docstring: drf-spectacular would publish it as the description of every
    # operation that lacks one. Each subclass documents itself with `client_operation`.
    #
    # Base of every per-client view: the access key of the path's client is required.
    # A failed attempt that no service announced is announced here once, as `action_failed`.

    authentication_classes = [AccessKeyAuthentication]
    permission_classes = [IsPathClient]
    action_name = ""

    @property
    def client(self):
        return self.request.user

    @cached_property
    def meta(self):
        return request_meta(self.request, key_is_valid=True)

    def validated(self, serializer_class):
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def limit(self, limit: str, key: str | None) -> None:
        """Count this call in the client's `limit` bucket for `key` (a validated value; None skips)."""
        if key:
            enforce_client_limit(
                self.request, client=self.client, limit=limit, key=key, action=self.action_name, request_meta=self.meta
            )

    def limit_mail(self) -> None:
        """Count a call that may send a mail in the client's quota, whether or not one is sent
        (so the answer still reveals nothing about which emails have accounts)."""
        self.limit("mail_client", str(self.client.client_id))

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        key_was_accepted = getattr(self.request, "_authsvc_permitted", False)
        if key_was_accepted and self.action_name and not getattr(exc, "announced", False) and _is_attempt(exc):
            signals.action_failed.send(
                sender=type(self),
                client=self.client,
                user_id=None,
                request_meta=self.meta,
                action=self.action_name,
                reason=json.loads(response.content).get("error", "invalid_request"),
                metadata={},
            )
        return response

    def check_permissions(self, request):
        super().check_permissions(request)
        request._authsvc_permitted = True
