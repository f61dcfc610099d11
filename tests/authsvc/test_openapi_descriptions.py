"""The API reference speaks to client developers: every operation explains itself, and no
internal text or placeholder Redoc would mangle reaches the schema."""

import json
import re

import pytest

pytestmark = pytest.mark.django_db

HTTP_METHODS = {"get", "post", "put", "patch", "delete"}
INTERNAL_WORDS = ("announced", "action_failed", "Base of", "DESIGN")
# `<client_id>` is swallowed as an HTML tag by Redoc ("GET /api/v1//"); `{client_id}` is not.
ANGLE_PLACEHOLDER = re.compile(r"<[A-Za-z_][\w .-]*>")
END_USER_HEADERS = ("X-End-User-IP", "X-End-User-Agent")


@pytest.fixture
def schema(client) -> dict:
    return json.loads(client.get("/api/schema/?format=json").content)


def operations(schema: dict) -> list[tuple[str, str, dict]]:
    return [
        (method.upper(), path, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    ]


def texts(node, where: str = ""):
    """Every string in the schema, with where it is."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from texts(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from texts(value, f"{where}/{index}")
    elif isinstance(node, str):
        yield where, node


def test_every_operation_has_its_own_summary_and_description(schema):
    """Each operation has a summary and a description, none of them the shared base class's internals."""
    found = operations(schema)
    assert len(found) >= 16
    problems = []
    for method, path, operation in found:
        summary, description = operation.get("summary", ""), operation.get("description", "")
        if not summary.strip() or not description.strip():
            problems.append(f"{method} {path}: summary or description missing")
        problems += [f"{method} {path}: says {word!r}" for word in INTERNAL_WORDS if word in description]
    assert problems == []


def test_descriptions_are_not_shared_between_operations(schema):
    """No two operations carry the same description (a copied one is the base class's docstring)."""
    descriptions = [operation["description"] for _, _, operation in operations(schema)]
    assert len(set(descriptions)) == len(descriptions)


def test_no_text_has_an_angle_bracket_placeholder(schema):
    """No string anywhere in the schema holds a `<name>` placeholder, which Redoc renders as nothing."""
    assert [(where, text) for where, text in texts(schema) if ANGLE_PLACEHOLDER.search(text)] == []


def test_every_per_client_operation_documents_the_end_user_headers(schema):
    """X-End-User-IP and X-End-User-Agent are optional, described header parameters of each per-client operation."""
    per_client = [(method, path, operation) for method, path, operation in operations(schema) if path.startswith("/api/v1/{client_id}/")]
    assert len(per_client) == 39
    for method, path, operation in per_client:
        headers = {parameter["name"]: parameter for parameter in operation.get("parameters", []) if parameter["in"] == "header"}
        for name in END_USER_HEADERS:
            assert name in headers, f"{method} {path} lacks {name}"
            assert not headers[name].get("required", False) and "audit" in headers[name]["description"]



def test_the_token_fields_say_what_each_token_is(schema):
    """Wherever a pair is answered, access_token is described as an `at+jwt` JWT and refresh_token as opaque."""
    pairs = [spec["properties"] for spec in schema["components"]["schemas"].values() if "refresh_token" in spec.get("properties", {})]
    answered = [properties for properties in pairs if "access_token" in properties]
    assert len(answered) >= 3  # sign-up, login, refresh
    for properties in answered:
        assert "at+jwt" in properties["access_token"].get("description", "")
        assert "opaque" in properties["refresh_token"].get("description", "")


AREAS = ["clients", "accounts", "tokens", "users", "mail", "audit", "webhooks"]
AREA_OF = {
    "/api/v1/clients/register": "clients",
    "/api/v1/{client_id}/": "clients",
    "/api/v1/{client_id}/signup": "accounts",
    "/api/v1/{client_id}/login": "accounts",
    "/api/v1/{client_id}/token/refresh": "tokens",
    "/api/v1/{client_id}/token/verify": "tokens",
    "/api/v1/{client_id}/token/revoke": "tokens",
    "/api/v1/{client_id}/logout": "tokens",
    "/api/v1/{client_id}/users": "users",
    "/api/v1/{client_id}/users/{user_id}": "users",
    "/api/v1/{client_id}/users/import": "users",
    "/api/v1/{client_id}/users/export": "users",
    "/api/v1/{client_id}/users/{user_id}/password": "users",
    "/api/v1/{client_id}/users/{user_id}/mfa/totp": "users",
    "/api/v1/{client_id}/users/{user_id}/mfa/totp/confirm": "users",
    "/api/v1/{client_id}/users/{user_id}/mfa/recovery-codes": "users",
    "/api/v1/{client_id}/login/mfa": "accounts",
    "/api/v1/{client_id}/login/mfa/totp": "accounts",
    "/api/v1/{client_id}/login/mfa/totp/confirm": "accounts",
    "/api/v1/{client_id}/login/mfa/passkey/options": "accounts",
    "/api/v1/{client_id}/login/passkey/options": "accounts",
    "/api/v1/{client_id}/login/passkey": "accounts",
    "/api/v1/{client_id}/users/{user_id}/passkeys/registration/options": "users",
    "/api/v1/{client_id}/users/{user_id}/passkeys": "users",
    "/api/v1/{client_id}/users/{user_id}/passkeys/{passkey_id}": "users",
    "/api/v1/{client_id}/webhooks": "webhooks",
    "/api/v1/{client_id}/webhooks/{webhook_id}": "webhooks",
    "/api/v1/{client_id}/webhooks/{webhook_id}/rotate-secret": "webhooks",
    "/api/v1/{client_id}/webhooks/{webhook_id}/deliveries": "webhooks",
    "/api/v1/{client_id}/email/verify": "mail",
    "/api/v1/{client_id}/email/resend": "mail",
    "/api/v1/{client_id}/password/forgot": "mail",
    "/api/v1/{client_id}/password/reset": "mail",
    "/api/v1/{client_id}/audit": "audit",
}


def test_every_operation_is_grouped_under_its_area(schema):
    """Swagger UI and Redoc group by tag: each operation has exactly its area's, and the areas are described in order."""
    assert [(tag["name"], bool(tag["description"])) for tag in schema["tags"]] == [(area, True) for area in AREAS]
    assert {(method, path): operation["tags"] for method, path, operation in operations(schema)} == {
        (method, path): [AREA_OF[path]] for method, path, _ in operations(schema)
    }


# What a 401 and a 403 of each operation can carry; any other operation: unauthorized and forbidden only.
REFUSALS = {
    "POST /api/v1/{client_id}/login": ({"unauthorized", "invalid_credentials"}, {"forbidden", "account_disabled", "email_not_verified"}),
    "POST /api/v1/{client_id}/token/refresh": ({"unauthorized", "invalid_token", "token_reused"}, {"forbidden"}),
    "POST /api/v1/{client_id}/logout": ({"unauthorized", "invalid_token"}, {"forbidden"}),
    "POST /api/v1/{client_id}/users/{user_id}/password": ({"unauthorized", "invalid_credentials"}, {"forbidden"}),
    "POST /api/v1/{client_id}/users/{user_id}/mfa/totp/confirm": ({"unauthorized", "invalid_mfa_code"}, {"forbidden"}),
    "POST /api/v1/{client_id}/login/mfa": ({"unauthorized", "invalid_mfa_code", "invalid_token"}, {"forbidden"}),
    "POST /api/v1/{client_id}/login/mfa/totp": ({"unauthorized", "invalid_token"}, {"forbidden"}),
    "POST /api/v1/{client_id}/login/mfa/totp/confirm": ({"unauthorized", "invalid_mfa_code", "invalid_token"}, {"forbidden"}),
    "POST /api/v1/{client_id}/login/mfa/passkey/options": ({"unauthorized", "invalid_token"}, {"forbidden"}),
    "POST /api/v1/{client_id}/login/passkey": ({"unauthorized", "invalid_passkey"}, {"forbidden", "account_disabled", "email_not_verified"}),
}
EVERY_REFUSAL_CODE = {
    "unauthorized", "invalid_credentials", "invalid_token", "token_reused", "invalid_mfa_code", "forbidden", "account_disabled",
    "email_not_verified", "invalid_passkey",
}


def test_each_operation_lists_only_the_401_and_403_codes_it_can_answer(schema):
    """A 401 or 403 answer names, in its text and examples, exactly the codes that operation can return."""
    for method, path, operation in operations(schema):
        expected = REFUSALS.get(f"{method} {path}", ({"unauthorized"}, {"forbidden"}))
        for status, codes in zip(("401", "403"), expected, strict=True):
            response = operation["responses"][status]
            examples = response["content"]["application/json"]["examples"].values()
            assert {example["value"]["error"] for example in examples} == codes, (method, path, status)
            named = {code for code in EVERY_REFUSAL_CODE if f"`{code}`" in response["description"]}
            assert named == codes, (method, path, status, response["description"])


def test_the_403_of_a_per_client_call_does_not_speak_of_registration(schema):
    """Only registration's 403 is about closed registration; a per-client call's is about keys and disabled clients."""
    for method, path, operation in operations(schema):
        text = operation["responses"]["403"]["description"]
        assert ("Registration is closed" in text) == (path == "/api/v1/clients/register"), (method, path, text)


def test_strict_bodies_say_they_take_no_other_key(schema):
    """The bodies that refuse unknown keys (StrictSerializer) say so: additionalProperties false."""
    components = schema["components"]["schemas"]
    for name in ("PatchedUserUpdateInputRequest", "PasswordChangeInputRequest", "PatchedClientSettingsInputRequest"):
        assert components[name]["additionalProperties"] is False, name
