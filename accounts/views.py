"""Per-client account endpoints (DESIGN §4): thin views over accounts.services."""

import json
from functools import cached_property

from django.http import JsonResponse
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors, services, signals
from accounts.serializers import (
    AcceptedOutput,
    EmailOnlyInput,
    EmailTokenInput,
    EmailVerifiedOutput,
    IntrospectionOutput,
    LoginInput,
    LoginOutput,
    PasswordResetInput,
    PasswordResetOutput,
    RefreshInput,
    SignupInput,
    SignupOutput,
    SignupResponse,
    TokenPairOutput,
    UserListQuery,
    UserOutput,
    UserPageOutput,
    UserUpdateInput,
    VerifyInput,
)
from accounts.validation import normalize_email
from accounts.signing_keys import keyring
from tenants.authentication import AccessKeyAuthentication
from tenants.openapi import error_responses
from tenants.errors import NotFound
from tenants.permissions import IsPathClient
from tenants.ratelimits import enforce_client_limit
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


@extend_schema_view(post=extend_schema(summary="Sign a user up", request=SignupInput, responses={201: SignupResponse, **error_responses(400, 401, 403, 409)}, examples=[OpenApiExample("signup", request_only=True, value={"email": "ada@example.com", "password": "correct horse battery", "custom_fields": {"plan": "pro"}})]))
class SignupApi(ClientApi):
    action_name = "signup"

    def post(self, request, client_id):
        data = self.validated(SignupInput)
        self.limit("signup_ip", self.meta.ip_address)
        result = services.user_signup(client=self.client, request_meta=self.meta, **data)
        body = dict(SignupOutput(result.user).data)
        if result.tokens is None:
            body["verification_required"] = True
        else:
            body.update(TokenPairOutput(result.tokens).data)
        return Response(body, status=201)


@extend_schema_view(post=extend_schema(summary="Log a user in", request=LoginInput, responses={200: LoginOutput, **error_responses(400, 401, 403)}, examples=[OpenApiExample("login", request_only=True, value={"email": "ada@example.com", "password": "correct horse battery"})]))
class LoginApi(ClientApi):
    action_name = "login"

    def post(self, request, client_id):
        data = self.validated(LoginInput)
        self.limit("login_ip", self.meta.ip_address)
        self.limit("login_email", normalize_email(data["email"]))
        user, pair = services.user_login(client=self.client, request_meta=self.meta, **data)
        body = LoginOutput({"user_id": user.user_id, **pair.__dict__}).data
        return Response(body)


@extend_schema_view(post=extend_schema(summary="Spend a refresh token for a new pair", description="The old refresh token is spent. Presenting a spent one answers 401 token_reused and revokes its whole family.", request=RefreshInput, responses={200: TokenPairOutput, **error_responses(400, 401, 403)}))
class TokenRefreshApi(ClientApi):
    action_name = "token_refresh"

    def post(self, request, client_id):
        data = self.validated(RefreshInput)
        pair = services.token_refresh(client=self.client, request_meta=self.meta, **data)
        return Response(TokenPairOutput(pair).data)


@extend_schema_view(post=extend_schema(summary="Introspect an access token (RFC 7662 style)", request=VerifyInput, responses={200: IntrospectionOutput, **error_responses(400, 401, 403)}, examples=[OpenApiExample("inactive", response_only=True, value={"active": False})]))
class TokenVerifyApi(ClientApi):
    """RFC 7662 style: anything not valid for this client is simply `{"active": false}`."""

    action_name = "token_verify"

    def post(self, request, client_id):
        data = self.validated(VerifyInput)
        introspection = selectors.access_token_introspect(client=self.client, token=data["token"])
        if introspection is None:
            return Response({"active": False})
        return Response(IntrospectionOutput({"active": True, **introspection}).data)


@extend_schema_view(post=extend_schema(summary="Revoke a refresh token's family (idempotent)", request=RefreshInput, responses={204: None, **error_responses(400, 401, 403)}))
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


@extend_schema_view(get=extend_schema(summary="List users", operation_id="v1_users_list", parameters=[UserListQuery], responses={200: UserPageOutput, **error_responses(400, 401, 403)}))
class UserListApi(ClientApi):
    action_name = "user_list"

    def get(self, request, client_id):
        query = UserListQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        email = params.get("email")
        page = selectors.user_list(
            client=self.client,
            email=normalize_email(email) if email else None,
            cursor=params.get("cursor"),
            limit=params["limit"],
        )
        return Response({"results": UserOutput(page.results, many=True).data, "next": page.next_cursor})


@extend_schema_view(get=extend_schema(summary="Read a user", responses={200: UserOutput, **error_responses(401, 403, 404)}), patch=extend_schema(summary="Update custom_fields or is_active", request=UserUpdateInput, responses={200: UserOutput, **error_responses(400, 401, 403, 404)}), delete=extend_schema(summary="Delete a user and revoke their tokens", responses={204: None, **error_responses(401, 403, 404)}))
class UserDetailApi(ClientApi):
    """GET, PATCH (custom_fields, is_active) and DELETE one user of this client."""

    @property
    def action_name(self) -> str:
        return {"PATCH": "user_update", "DELETE": "user_delete"}.get(self.request.method, "user_get")

    def get_user(self, user_id):
        user = selectors.user_get(client=self.client, user_id=user_id)
        if user is None:
            raise NotFound("No such user.")
        return user

    def get(self, request, client_id, user_id):
        return Response(UserOutput(self.get_user(user_id)).data)

    def patch(self, request, client_id, user_id):
        data = self.validated(UserUpdateInput)
        user = services.user_update(client=self.client, user=self.get_user(user_id), request_meta=self.meta, **data)
        return Response(UserOutput(user).data)

    def delete(self, request, client_id, user_id):
        services.user_delete(client=self.client, user=self.get_user(user_id), request_meta=self.meta)
        return Response(status=204)


# --- email verification and password reset ----------------------------------------------
# A bad, expired, used or other client's token is 400 invalid_request with fields.token.
# Requests by email answer 202 with one fixed body, so they never tell whether it exists.

RESEND_ACCEPTED = {"detail": "If this email belongs to an unverified account, a verification link is on its way."}
FORGOT_ACCEPTED = {"detail": "If this email belongs to an account, a password reset link is on its way."}


@extend_schema_view(post=extend_schema(summary="Verify an email address with the mailed token", request=EmailTokenInput, responses={200: EmailVerifiedOutput, **error_responses(400, 401, 403)}))
class EmailVerifyApi(ClientApi):
    action_name = "email_verify"

    def post(self, request, client_id):
        data = self.validated(EmailTokenInput)
        user = services.email_verify(client=self.client, token=data["token"], request_meta=self.meta)
        return Response({"email_verified": True, "user_id": str(user.user_id)})


@extend_schema_view(post=extend_schema(summary="Mail a new verification link (202 whatever the email)", request=EmailOnlyInput, responses={202: AcceptedOutput, **error_responses(400, 401, 403)}))
class EmailResendApi(ClientApi):
    action_name = "email_resend"

    def post(self, request, client_id):
        data = self.validated(EmailOnlyInput)
        self.limit("mail_email", normalize_email(data["email"]))
        services.email_verification_send(client=self.client, email=data["email"], request_meta=self.meta)
        return Response(RESEND_ACCEPTED, status=202)


@extend_schema_view(post=extend_schema(summary="Mail a password reset link (202 whatever the email)", request=EmailOnlyInput, responses={202: AcceptedOutput, **error_responses(400, 401, 403)}))
class PasswordForgotApi(ClientApi):
    action_name = "password_forgot"

    def post(self, request, client_id):
        data = self.validated(EmailOnlyInput)
        self.limit("mail_email", normalize_email(data["email"]))
        services.password_reset_request(client=self.client, email=data["email"], request_meta=self.meta)
        return Response(FORGOT_ACCEPTED, status=202)


@extend_schema_view(post=extend_schema(summary="Set a new password with the mailed token", description="Every refresh token of the user is revoked.", request=PasswordResetInput, responses={200: PasswordResetOutput, **error_responses(400, 401, 403)}))
class PasswordResetApi(ClientApi):
    action_name = "password_reset"

    def post(self, request, client_id):
        data = self.validated(PasswordResetInput)
        user = services.password_reset_confirm(client=self.client, request_meta=self.meta, **data)
        return Response({"password_reset": True, "user_id": str(user.user_id)})
