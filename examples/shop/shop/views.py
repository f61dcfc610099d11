"""The shop's endpoints: /auth/* through the SDK, /api/* for holders of an access token."""

from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from authsvc_client import AuthsvcError

from .authsvc import authsvc, end_user
from .models import Order


def tokens_answer(pair) -> dict:
    return {"user_id": pair.user_id, "access_token": pair.access_token, "refresh_token": pair.refresh_token, "expires_in": pair.expires_in}


def refusal(error: AuthsvcError) -> Response:
    """authsvc's refusal passed on to the shop's caller, with its status, code and Retry-After."""
    headers = {"Retry-After": str(int(error.retry_after))} if error.retry_after else None
    body = {"error": error.code, "detail": error.detail, **({"fields": error.fields} if error.fields else {})}
    return Response(body, status=error.status or 503, headers=headers)


class AuthView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    def post(self, request):
        try:
            return self.act(request)
        except AuthsvcError as error:
            return refusal(error)


class Signup(AuthView):
    def act(self, request):
        result = authsvc().signup(request.data.get("email", ""), request.data.get("password", ""), **end_user(request))
        if result.tokens is None:
            return Response({"user_id": result.user_id, "verification_required": True}, status=201)
        return Response(tokens_answer(result.tokens), status=201)


class Login(AuthView):
    def act(self, request):
        return Response(tokens_answer(authsvc().login(request.data.get("email", ""), request.data.get("password", ""), **end_user(request))))


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
