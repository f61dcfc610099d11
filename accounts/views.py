"""Per-client account endpoints (DESIGN §4): thin views over accounts.services."""

import json

from django.http import JsonResponse
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors, services, signals
from accounts.serializers import (
    IntrospectionOutput,
    LoginInput,
    LoginOutput,
    RefreshInput,
    SignupInput,
    SignupOutput,
    TokenPairOutput,
    VerifyInput,
)
from accounts.signing_keys import keyring
from tenants.authentication import AccessKeyAuthentication
from tenants.errors import ServiceError
from tenants.permissions import IsPathClient
from tenants.request_meta import request_meta


class ClientApi(APIView):
    """Base of every `/api/v1/<client_id>/...` view: access key of that client required.

    A failed attempt that no service announced is announced here once, as `action_failed`.
    """

    authentication_classes = [AccessKeyAuthentication]
    permission_classes = [IsPathClient]
    action_name = ""

    @property
    def client(self):
        return self.request.user

    @property
    def meta(self):
        return request_meta(self.request, key_is_valid=True)

    def validated(self, serializer_class):
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        key_was_accepted = getattr(self.request, "_authsvc_permitted", False)
        if key_was_accepted and self.action_name and not getattr(exc, "announced", False):
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


class SignupApi(ClientApi):
    action_name = "signup"

    def post(self, request, client_id):
        data = self.validated(SignupInput)
        result = services.user_signup(client=self.client, request_meta=self.meta, **data)
        body = dict(SignupOutput(result.user).data)
        if result.tokens is None:
            body["verification_required"] = True
        else:
            body.update(TokenPairOutput(result.tokens).data)
        return Response(body, status=201)


class LoginApi(ClientApi):
    action_name = "login"

    def post(self, request, client_id):
        data = self.validated(LoginInput)
        user, pair = services.user_login(client=self.client, request_meta=self.meta, **data)
        body = LoginOutput({"user_id": user.user_id, **pair.__dict__}).data
        return Response(body)


class TokenRefreshApi(ClientApi):
    action_name = "token_refresh"

    def post(self, request, client_id):
        data = self.validated(RefreshInput)
        pair = services.token_refresh(client=self.client, request_meta=self.meta, **data)
        return Response(TokenPairOutput(pair).data)


class TokenVerifyApi(ClientApi):
    """RFC 7662 style: anything not valid for this client is simply `{"active": false}`."""

    action_name = "token_verify"

    def post(self, request, client_id):
        data = self.validated(VerifyInput)
        introspection = selectors.access_token_introspect(client=self.client, token=data["token"])
        if introspection is None:
            return Response({"active": False})
        return Response(IntrospectionOutput({"active": True, **introspection}).data)


class LogoutApi(ClientApi):
    action_name = "logout"

    def post(self, request, client_id):
        data = self.validated(RefreshInput)
        services.token_logout(client=self.client, request_meta=self.meta, **data)
        return Response(status=204)


def jwks_document(request):
    """GET /.well-known/jwks.json: every public key that may have signed a live token."""
    response = JsonResponse(keyring().jwks())
    response["Cache-Control"] = "public, max-age=300"
    return response
