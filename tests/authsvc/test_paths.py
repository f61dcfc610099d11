"""Every `/api/` path answers with or without its trailing slash, and never redirects."""

import json

import pytest
from rest_framework.test import APIClient

from tests.accounts.conftest import PASSWORD, sign_up

pytestmark = pytest.mark.django_db(transaction=True)

# (method, path under /api/v1/{client_id}/ — or absolute —, body, status of a good call)
CALLS = [
    ("GET", "", None, 200),
    ("POST", "signup", {"email": "new@example.com", "password": PASSWORD}, 201),
    ("POST", "login", {"email": "ada@example.com", "password": PASSWORD}, 200),
    ("POST", "token/verify", {"token": "not-a-token"}, 200),
    ("POST", "token/revoke", {"token": "not-a-token"}, 200),
    ("GET", ".well-known/openid-configuration", None, 200),
    ("POST", "token/refresh", {"refresh_token": "not-a-token"}, 401),
    ("POST", "logout", {"refresh_token": "not-a-token"}, 401),
    ("POST", "email/verify", {"token": "not-a-token"}, 400),
    ("POST", "email/resend", {"email": "ada@example.com"}, 202),
    ("POST", "password/forgot", {"email": "ada@example.com"}, 202),
    ("POST", "password/reset", {"token": "not-a-token", "new_password": PASSWORD}, 400),
    ("GET", "users", None, 200),
    ("GET", "users/{user_id}", None, 200),
    ("PATCH", "users/{user_id}", {"custom_fields": {"plan": "pro"}}, 200),
    ("GET", "audit", None, 200),
    ("POST", "/api/v1/clients/register", {"client_name": "Initech", "industry": "SaaS"}, 201),
    ("GET", "/api/schema", None, 200),
]


def _spellings(path: str) -> list[str]:
    bare = path.rstrip("/")
    return [bare, f"{bare}/"]


@pytest.mark.parametrize("trailing_slash", [False, True], ids=["without-slash", "with-slash"])
@pytest.mark.parametrize(("method", "path", "body", "status"), CALLS, ids=[f"{call[0]} {call[1] or '/'}" for call in CALLS])
def test_path_answers_with_and_without_trailing_slash(tenant, method, path, body, status, trailing_slash):
    """Both spellings reach the endpoint and answer what it answers; no 301 from APPEND_SLASH."""
    user = sign_up(tenant)
    url = path if path.startswith("/") else f"/api/v1/{tenant.client_id}/{path.format(user_id=user.user_id)}"
    url = _spellings(url)[trailing_slash]
    payload = "" if body is None else json.dumps(body)
    response = APIClient().generic(method, url, payload, content_type="application/json", **tenant.auth)
    assert response.status_code == status, (url, response.status_code, response.content[:200])

