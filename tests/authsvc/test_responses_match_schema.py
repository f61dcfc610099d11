"""What the API sends is what its OpenAPI description says: each success body validates against it."""

import copy

import jsonschema
import pytest
from rest_framework.test import APIClient

from tests.accounts.conftest import PASSWORD, call, sign_up
from tests.conftest import make_tenant

pytestmark = pytest.mark.django_db(transaction=True)


def _json_schema(node):
    """OpenAPI 3.0's `nullable: true` as JSON Schema's type union; objects closed to undocumented fields."""
    if isinstance(node, dict):
        node = {key: _json_schema(value) if key != "properties" else {name: _json_schema(spec) for name, spec in value.items()}
                for key, value in node.items()}
        if node.pop("nullable", False) and "type" in node:
            node["type"] = [node["type"], "null"]
        if "properties" in node:
            node.setdefault("additionalProperties", False)
        return node
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    return node


@pytest.fixture(scope="module")
def openapi():
    return APIClient().get("/api/schema/?format=json").json()


def assert_matches(openapi, path: str, method: str, response) -> None:
    documented = openapi["paths"][path][method]["responses"][str(response.status_code)]
    content = documented.get("content")
    if content is None:
        assert not response.content, "the description promises no body"
        return
    schema = {**copy.deepcopy(content["application/json"]["schema"]), "components": _json_schema(openapi["components"])}
    jsonschema.validate(response.json(), _json_schema(schema))


def test_every_success_answer_matches_its_description(openapi):
    """Register, read and change the client, sign up (both shapes), log in, verify (both), refresh, revoke, users, mails, audit, logout."""
    client_path = "/api/v1/{client_id}/"
    register = APIClient().post("/api/v1/clients/register", {"client_name": "Schema Co", "industry": "SaaS"}, format="json")
    assert register.status_code == 201
    assert_matches(openapi, "/api/v1/clients/register", "post", register)

    tenant = make_tenant("Described Co")
    verifying = make_tenant("Verifying Co", require_email_verification=True)
    cases = [
        ("get", client_path, call(tenant, "", method="GET")),
        ("patch", client_path, call(tenant, "", {"mail_sender_name": "Described", "mail_templates": {"verify_email": {"text": "{link}"}}}, method="PATCH")),
        ("post", client_path + "signup", call(tenant, "signup", {"email": "ada@example.com", "password": PASSWORD})),
        ("post", client_path + "signup", call(verifying, "signup", {"email": "bob@example.com", "password": PASSWORD})),
    ]
    user = sign_up(tenant, "grace@example.com")
    cases += [
        ("post", client_path + "login", call(tenant, "login", {"email": user.email, "password": PASSWORD})),
        ("post", client_path + "token/verify", call(tenant, "token/verify", {"token": user.access_token})),
        ("post", client_path + "token/verify", call(tenant, "token/verify", {"token": "not-a-token"})),
        ("get", client_path + "users", call(tenant, "users", method="GET")),
        ("get", client_path + "users/{user_id}", call(tenant, f"users/{user.user_id}", method="GET")),
        ("patch", client_path + "users/{user_id}", call(tenant, f"users/{user.user_id}", {"custom_fields": {"a": 1}}, method="PATCH")),
        ("post", client_path + "email/resend", call(verifying, "email/resend", {"email": "bob@example.com"})),
        ("post", client_path + "password/forgot", call(tenant, "password/forgot", {"email": user.email})),
        ("get", client_path + "audit", call(tenant, "audit", method="GET")),
        ("post", client_path + "token/refresh", call(tenant, "token/refresh", {"refresh_token": user.refresh_token})),
        ("post", client_path + "token/revoke", call(tenant, "token/revoke", {"token": user.access_token})),
        ("post", client_path + "logout", call(tenant, "logout", {"refresh_token": sign_up(tenant, "x@example.com").refresh_token})),
    ]
    for method, documented_path, response in cases:
        assert response.status_code < 300, (documented_path, response.content)
        assert_matches(openapi, documented_path, method, response)
