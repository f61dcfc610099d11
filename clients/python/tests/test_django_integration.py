"""authsvc_client.django: the plain middleware and the DRF authentication class, configured from
settings.AUTHSVC_CLIENT, on requests carrying the live authsvc's tokens."""

import json

import pytest
from conftest import PASSWORD, unique_email
from django.http import JsonResponse
from django.test import RequestFactory
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from authsvc_client.django import AuthsvcAuthentication, AuthsvcMiddleware, authsvc_required
from tests.stores import free_port

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.store_independent]


@pytest.fixture
def configured(settings, service, tenant):
    settings.AUTHSVC_CLIENT = {"BASE_URL": service, "CLIENT_ID": tenant.client_id}
    return settings


@pytest.fixture
def pair(sdk):
    return sdk.signup(unique_email(), PASSWORD).tokens


class WhoAmI(APIView):
    authentication_classes = [AuthsvcAuthentication]
    permission_classes = [IsAuthenticated]

    def get(self, request):
        return Response({"user_id": request.user.user_id, "session": request.auth.session_id})


def drf_get(authorization: str | None):
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    return WhoAmI.as_view()(APIRequestFactory().get("/me", **headers))


@authsvc_required
def plain_view(request):
    return JsonResponse({"user_id": request.authsvc_user.user_id})


def through_middleware(authorization: str | None):
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    return AuthsvcMiddleware(plain_view)(RequestFactory().get("/me", **headers))


def test_drf_puts_the_tokens_user_and_claims_on_the_request(configured, pair):
    """request.user is the token's user (authenticated), request.auth its claims."""
    response = drf_get(f"Bearer {pair.access_token}")
    assert response.status_code == 200
    assert response.data["user_id"] == pair.user_id and response.data["session"]


@pytest.mark.parametrize("authorization", [None, "Bearer not-a-token", "Bearer {refresh}"], ids=["none", "garbage", "refresh-token"])
def test_drf_answers_401_with_a_bearer_challenge_without_a_live_access_token(configured, pair, authorization):
    """No token, or one that is not a live access token: 401, WWW-Authenticate: Bearer (not 403)."""
    response = drf_get(authorization and authorization.format(refresh=pair.refresh_token))
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_the_middleware_sets_the_user_and_refuses_a_bad_token(configured, pair):
    """A live token: the view sees its user. A bad one: 401 JSON before the view. None: the view decides."""
    assert json.loads(through_middleware(f"Bearer {pair.access_token}").content) == {"user_id": pair.user_id}
    refused = through_middleware("Bearer not-a-token")
    assert refused.status_code == 401 and json.loads(refused.content)["error"] == "invalid_token"
    assert 'error="invalid_token"' in refused["WWW-Authenticate"]
    assert through_middleware(None).status_code == 401


def test_online_mode_refuses_a_logged_out_token_that_offline_mode_accepts(configured, sdk, pair, tenant):
    """ONLINE with ACCESS_KEY asks token/verify: a logout counts at once."""
    sdk.logout(pair.refresh_token)
    assert drf_get(f"Bearer {pair.access_token}").status_code == 200
    configured.AUTHSVC_CLIENT = {**configured.AUTHSVC_CLIENT, "ONLINE": True, "ACCESS_KEY": tenant.access_key}
    assert drf_get(f"Bearer {pair.access_token}").status_code == 401


def test_keys_that_cannot_be_fetched_answer_503_not_401(settings, tenant, pair):
    """The service unreachable at first use: the token was not judged, so 503, in DRF and in the middleware."""
    settings.AUTHSVC_CLIENT = {"BASE_URL": f"http://127.0.0.1:{free_port()}", "CLIENT_ID": tenant.client_id}
    assert drf_get(f"Bearer {pair.access_token}").status_code == 503
    assert through_middleware(f"Bearer {pair.access_token}").status_code == 503
