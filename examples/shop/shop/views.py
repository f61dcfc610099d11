"""The shop's endpoints: /auth/* through the SDK, /api/* for holders of an access token."""

from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from authsvc_client import AuthsvcError, MfaEnrollmentRequired, MfaRequired

from .authsvc import authsvc, end_user
from .models import Order


def tokens_answer(pair) -> dict:
    return {"user_id": pair.user_id, "access_token": pair.access_token, "refresh_token": pair.refresh_token, "expires_in": pair.expires_in}


def login_answer(result) -> dict:
    """The tokens of a finished login, or the second step authsvc asks for, passed on to the shop's front end."""
    if isinstance(result, MfaRequired):
        return {"mfa_required": True, "mfa_token": result.mfa_token, "methods": result.methods}
    if isinstance(result, MfaEnrollmentRequired):
        return {"mfa_enrollment_required": True, "mfa_token": result.mfa_token}
    return tokens_answer(result)


def refusal(error: AuthsvcError) -> Response:
    """authsvc's refusal passed on to the shop's caller, with its status, code and Retry-After."""
    headers = {"Retry-After": str(int(error.retry_after))} if error.retry_after else None
    body = {"error": error.code, "detail": error.detail, **({"fields": error.fields} if error.fields else {})}
    return Response(body, status=error.status or 503, headers=headers)


class RelayView(APIView):
    """A call the shop answers by calling authsvc; authsvc's refusals passed on as they are."""

    def post(self, request):
        try:
            return self.act(request)
        except AuthsvcError as error:
            return refusal(error)


class AuthView(RelayView):
    """A call of someone not logged in yet (sign-up, login and its steps, refresh, logout)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]


class Signup(AuthView):
    def act(self, request):
        result = authsvc().signup(request.data.get("email", ""), request.data.get("password", ""), **end_user(request))
        if result.mfa_enrollment is not None:
            return Response({"user_id": result.user_id, **login_answer(result.mfa_enrollment)}, status=201)
        if result.tokens is None:
            return Response({"user_id": result.user_id, "verification_required": True}, status=201)
        return Response(tokens_answer(result.tokens), status=201)


class Login(AuthView):
    """The tokens, or (a user with a second factor, or a shop that requires one) the step that comes next."""

    def act(self, request):
        return Response(login_answer(authsvc().login(request.data.get("email", ""), request.data.get("password", ""), **end_user(request))))


class LoginMfa(AuthView):
    """The second step of a login that answered `mfa_required`: its `mfa_token` and a TOTP or recovery `code`."""

    def act(self, request):
        pair = authsvc().login_mfa(request.data.get("mfa_token", ""), request.data.get("code", ""), **end_user(request))
        return Response(tokens_answer(pair))


class LoginTotpEnrol(AuthView):
    """A login that answered `mfa_enrollment_required`: a TOTP secret to show the user, once."""

    def act(self, request):
        enrolment = authsvc().login_mfa_totp_enrol(request.data.get("mfa_token", ""), **end_user(request))
        return Response({"secret": enrolment.secret, "otpauth_uri": enrolment.otpauth_uri}, status=201)


class LoginTotpConfirm(AuthView):
    """That secret confirmed with a code of it: the login's tokens and the user's recovery codes."""

    def act(self, request):
        enrolled = authsvc().login_mfa_totp_confirm(request.data.get("mfa_token", ""), request.data.get("code", ""), **end_user(request))
        return Response({**tokens_answer(enrolled.tokens), "recovery_codes": list(enrolled.recovery_codes)})


class Refresh(AuthView):
    def act(self, request):
        return Response(tokens_answer(authsvc().refresh(request.data.get("refresh_token", ""), **end_user(request))))


class Logout(AuthView):
    def act(self, request):
        authsvc().logout(request.data.get("refresh_token", ""), **end_user(request))
        return Response(status=204)


class Me(APIView):
    def get(self, request):
        return Response({"user_id": request.user.user_id, "email": request.user.email})


class MyTotp(RelayView):
    """The shopper turns on TOTP: a secret to show once, pending until a code of it confirms it."""

    def act(self, request):
        enrolment = authsvc().enrol_totp(request.user.user_id, **end_user(request))
        return Response({"secret": enrolment.secret, "otpauth_uri": enrolment.otpauth_uri}, status=201)


class MyTotpConfirm(RelayView):
    def act(self, request):
        codes = authsvc().confirm_totp(request.user.user_id, request.data.get("code", ""), **end_user(request))
        return Response({"recovery_codes": list(codes)})


class OrderInput(serializers.Serializer):
    item = serializers.CharField(max_length=200)


class Orders(APIView):
    def get(self, request):
        orders = Order.objects.filter(user_id=request.user.user_id).order_by("id")
        return Response([{"id": order.id, "item": order.item} for order in orders])

    def post(self, request):
        data = OrderInput(data=request.data)
        data.is_valid(raise_exception=True)
        order = Order.objects.create(user_id=request.user.user_id, item=data.validated_data["item"])
        return Response({"id": order.id, "item": order.item}, status=201)
