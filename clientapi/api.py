"""The base of every per-client API view (`/api/v1/<client_id>/...`), whichever app serves it."""

from functools import cached_property

from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.views import APIView

from clientapi.authentication import AccessKeyAuthentication
from clientapi.permissions import IsPathClient
from clientapi.ratelimits import AccessKeyThrottle, enforce_client_limit
from core.request_meta import request_meta
from tenants.models import Client


class JsonAnswers(DefaultContentNegotiation):
    """Answers are JSON whatever `Accept` asks: the API has nothing else to offer, and DRF's
    parsing of Accept was a twentieth of a token verify. Bodies are still parsed by Content-Type."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class ClientApi(APIView):
    # Not a docstring: drf-spectacular would publish it as the description of every
    # operation that lacks one. Each subclass documents itself with `client_operation`.
    #
    # Base of every per-client view. DRF's steps, each without side effects of its own: the
    # access key authenticates (AccessKeyAuthentication), its client must be the path's
    # (IsPathClient), the call counts in the key's bucket (AccessKeyThrottle). Whatever is
    # refused, there or in the view, the exception handler answers; what no flow published, it
    # publishes once as a refusal of `action_name` (authsvc.exceptions, core.refusals).

    authentication_classes = [AccessKeyAuthentication]
    permission_classes = [IsPathClient]
    throttle_classes = [AccessKeyThrottle]
    content_negotiation_class = JsonAnswers
    action_name = ""
    # The key's client, once the key is accepted; None before (and for the handler, when not).
    client: Client | None = None

    def perform_authentication(self, request):
        key = request.auth
        self.client = key.client.to_client() if key is not None else None

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
            enforce_client_limit(client=self.client, limit=limit, key=key, action=self.action_name)

    def limit_mail(self) -> None:
        """Count a call that may send a mail in the client's quota, whether or not one is sent
        (so the answer still reveals nothing about which emails have accounts)."""
        self.limit("mail_client", str(self.client.client_id))
