"""Every error on /api/ is the JSON envelope, whoever produced it (DRF, Django, middleware, a bug).

This module is also the urlconf of the tests marked `boom_urls`: the project's URLs plus two
views under /api/ that fail the way a bug would.
"""

import json

import pytest
from django.http import HttpResponse
from django.urls import include, path
from rest_framework.views import APIView

import authsvc.urls

# Refused registrations are audited, which writes a row.
pytestmark = pytest.mark.django_db

REGISTER = "/api/v1/clients/register"
SECRET_IN_TRACEBACK = "internal detail 7f3a that must not leak"


class ExplodingApi(APIView):
    def get(self, request):
        raise RuntimeError(SECRET_IN_TRACEBACK)


def exploding_view(request):
    raise RuntimeError(SECRET_IN_TRACEBACK)


def html_error_view(request):
    return HttpResponse("<h1>Gone</h1>", status=410)


urlpatterns = [
    path("api/test/drf-bug", ExplodingApi.as_view()),
    path("api/test/django-bug", exploding_view),
    path("api/test/html-error", html_error_view),
    path("", include(authsvc.urls)),
]

boom_urls = pytest.mark.urls(__name__)


def assert_envelope(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    body = json.loads(response.content)
    assert body["error"] == code
    assert isinstance(body["detail"], str) and body["detail"]
    return body


def test_unknown_api_path_is_a_json_404(api):
    """A path no route matches answers 404 not_found as JSON, not Django's HTML page."""
    assert_envelope(api.get("/api/v1/no/such/thing"), 404, "not_found")


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
def test_wrong_method_is_a_json_405(api, method):
    """A method the endpoint does not take answers 405 method_not_allowed."""
    assert_envelope(getattr(api, method)(REGISTER), 405, "method_not_allowed")


def test_body_over_64_kb_is_a_json_413(post_json):
    """A 65 KB body answers 413 payload_too_large before anything reads it."""
    body = json.dumps({"client_name": "A", "industry": "SaaS", "padding": "x" * 65 * 1024})

    assert_envelope(post_json(REGISTER, body), 413, "payload_too_large")


def test_malformed_json_is_a_json_400(post_json):
    """A body that is not JSON answers 400 invalid_request."""
    assert_envelope(post_json(REGISTER, "{not json"), 400, "invalid_request")


@pytest.mark.parametrize(
    ("content_type", "payload"),
    [("text/plain", "client_name=A"), ("application/x-www-form-urlencoded", "client_name=A&industry=SaaS")],
)
def test_body_that_is_not_json_typed_is_a_json_400(api, content_type, payload):
    """A body sent as anything but application/json answers 400 invalid_request."""
    assert_envelope(api.generic("POST", REGISTER, payload, content_type=content_type), 400, "invalid_request")


def test_host_header_not_allowed_is_a_json_400(api):
    """A request for a host outside ALLOWED_HOSTS answers 400 as JSON."""
    assert_envelope(api.get("/api/v1/no/such/thing", HTTP_HOST="evil.example"), 400, "invalid_request")


@boom_urls
@pytest.mark.parametrize("debug", [False, True], ids=["debug-off", "debug-on"])
@pytest.mark.parametrize("path", ["/api/test/drf-bug", "/api/test/django-bug"])
def test_unexpected_exception_is_a_json_500_without_a_trace(api, settings, path, debug):
    """A view that crashes answers 500 server_error as JSON, with no traceback even under DEBUG."""
    settings.DEBUG = debug

    response = api.get(path)

    body = assert_envelope(response, 500, "server_error")
    assert set(body) == {"error", "detail"}
    text = response.content.decode()
    assert SECRET_IN_TRACEBACK not in text
    assert "Traceback" not in text and "RuntimeError" not in text


@boom_urls
def test_html_error_from_a_view_becomes_the_envelope(api):
    """A non-JSON error response under /api/ is replaced by the envelope with the same status."""
    assert_envelope(api.get("/api/test/html-error"), 410, "invalid_request")


def test_pages_outside_the_api_keep_their_html_errors(api):
    """The envelope is for /api/ only: an unknown page elsewhere stays an HTML 404."""
    response = api.get("/no/such/page")

    assert response.status_code == 404
    assert not response["Content-Type"].startswith("application/json")
