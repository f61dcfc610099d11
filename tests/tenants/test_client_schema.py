"""Registration refuses a custom_fields_schema that could fetch, backtrack, loop or fan out."""

import json

import pytest

from tenants.client_schema import MAX_SCHEMA_BYTES, MAX_SCHEMA_DEPTH
from tenants.models import Client

pytestmark = pytest.mark.django_db(transaction=True)

REGISTER = "/api/v1/clients/register"


def register(post_json, schema):
    return post_json(REGISTER, {"client_name": "Schema Co", "industry": "SaaS", "custom_fields_schema": schema})


def nested(depth: int) -> dict:
    schema: dict = {"type": "object"}
    for _ in range(depth):
        schema = {"type": "object", "properties": {"x": schema}}
    return schema


def fan_out(levels: int, width: int) -> dict:
    """$defs d0 … dN where each is allOf `width` references to the next: width**levels evaluations."""
    defs = {f"d{level}": {"allOf": [{"$ref": f"#/$defs/d{level + 1}"}] * width} for level in range(levels)}
    defs[f"d{levels}"] = {"type": "object"}
    return {"$defs": defs, "$ref": "#/$defs/d0"}


HOSTILE_SCHEMAS = {
    "file reference": {"$ref": "file:///etc/passwd"},
    "relative reference": {"properties": {"a": {"$ref": "other.json"}}},
    "remote reference with a fragment": {"$ref": "https://example.com/s.json#/a"},
    "remote $id": {"$id": "https://example.com/root.json", "type": "object"},
    "$dynamicRef": {"$dynamicRef": "#meta"},
    "$anchor": {"$defs": {"a": {"$anchor": "here"}}, "$ref": "#here"},
    "another dialect": {"$schema": "http://json-schema.org/draft-04/schema#", "type": "object"},
    "reference to nothing": {"$ref": "#/$defs/missing"},
    "self reference": {"$ref": "#"},
    "self reference through allOf": {"allOf": [{"$ref": "#"}]},
    "cycle through $defs": {"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"anyOf": [{"$ref": "#/$defs/a"}]}}, "$ref": "#/$defs/a"},
    "backreference pattern": {"properties": {"a": {"type": "string", "pattern": "(a)\\1"}}},
    "lookahead pattern": {"properties": {"a": {"type": "string", "pattern": "^(?=a)a+$"}}},
    "lookahead in patternProperties": {"patternProperties": {"(?!x)": {"type": "string"}}},
    "pattern whose RE2 program is too large": {"properties": {"bio": {"type": "string", "pattern": "^.{1,500}$"}}},
    "patternProperties key whose RE2 program is too large": {"patternProperties": {"^x_.{1,400}$": True}},
    "pattern with a lone surrogate (no UTF-8 for RE2)": {"properties": {"a": {"type": "string", "pattern": "^\ud800"}}},
    "patternProperties with unevaluatedProperties": {"patternProperties": {"^a": True}, "unevaluatedProperties": False},
    "not a schema": {"type": "no-such-type"},
    "fan-out beyond the budget": fan_out(8, 4),
    "too deep": nested(MAX_SCHEMA_DEPTH),
    "too large": {"type": "object", "description": "x" * MAX_SCHEMA_BYTES},
}


@pytest.mark.parametrize("schema", HOSTILE_SCHEMAS.values(), ids=HOSTILE_SCHEMAS.keys())
def test_a_hostile_schema_is_refused_at_registration(post_json, schema):
    """400 with the reason under fields.custom_fields_schema, and no client is created."""
    response = register(post_json, schema)
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["error"] == "invalid_request"
    assert body["fields"]["custom_fields_schema"]
    assert not Client.objects.exists()


def test_a_remote_reference_is_refused_without_being_fetched(post_json, loopback_listener):
    """A $ref to a loopback URL is refused, and the listener receives nothing."""
    response = register(post_json, {"properties": {"plan": {"$ref": loopback_listener.url}}})
    assert response.status_code == 400
    assert "within the schema" in json.dumps(response.json()["fields"])
    assert loopback_listener.requests == []


ACCEPTED_SCHEMAS = {
    "plain object": {"type": "object", "properties": {"plan": {"enum": ["free", "pro"]}}, "required": ["plan"]},
    "dialect named": {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object"},
    "local definitions": {"$defs": {"plan": {"enum": ["free", "pro"]}}, "properties": {"plan": {"$ref": "#/$defs/plan"}}},
    "recursion that descends": {"$defs": {"node": {"type": "object", "properties": {"child": {"$ref": "#/$defs/node"}}}}, "$ref": "#/$defs/node"},
    "RE2 patterns": {"properties": {"nick": {"type": "string", "pattern": "^(a+)+$"}}, "patternProperties": {"^x_[a-z]+$": {"type": "integer"}}},
    "a small fan-out": fan_out(3, 3),
    "a long text: .+ with maxLength": {"properties": {"bio": {"type": "string", "pattern": "^.+$", "maxLength": 500}}},
    "large enums and uniqueItems": {"properties": {"codes": {"type": "array", "uniqueItems": True, "items": {"enum": list(range(2800))}}}},
}


@pytest.mark.parametrize("schema", ACCEPTED_SCHEMAS.values(), ids=ACCEPTED_SCHEMAS.keys())
def test_a_safe_schema_is_registered_as_given(post_json, schema):
    """Ordinary schemas, local references and descending recursion are accepted and stored."""
    response = register(post_json, schema)
    assert response.status_code == 201, response.content
    assert Client.objects.get(pk=response.json()["client_id"]).custom_fields_schema == schema


def test_the_admin_form_refuses_a_hostile_schema(staff_client):
    """Staff adding a client in the admin get the same refusal, as a form error."""
    response = staff_client.post(
        "/admin/tenants/client/add/",
        {"client_name": "Admin Co", "industry": "SaaS", "custom_fields_schema": json.dumps({"$ref": "file:///etc/passwd"}), "rate_limits": ""},
    )
    assert response.status_code == 200
    assert "only references within the schema" in response.content.decode()
    assert not Client.objects.exists()
