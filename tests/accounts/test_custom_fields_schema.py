"""Sign-up runs the client's schema without fetching, backtracking or looping: 4xx, never 5xx, fast."""

import json
import time

import pytest

from tests.accounts.conftest import PASSWORD, call
from tests.conftest import Tenant, make_tenant

pytestmark = pytest.mark.django_db(transaction=True)

# Python's backtracking `re` needs minutes for this value against ^(a+)+$; RE2 answers at once.
REDOS_VALUE = "a" * 40 + "!"
# Generous: a behaviour bound (no backtracking), not a benchmark; bench/ holds timings.
PROMPT_SECONDS = 2.0


def stored_before_the_check(tenant: Tenant, schema: dict) -> Tenant:
    """A schema written before registration checked schemas (a row from an older release)."""
    tenant.client.custom_fields_schema = schema
    tenant.client.save(update_fields=["custom_fields_schema"])
    return tenant


def signup(tenant: Tenant, custom_fields: dict):
    return call(tenant, "signup", {"email": "ada@example.com", "password": PASSWORD, "custom_fields": custom_fields})


def test_a_stored_remote_reference_is_never_fetched(tenant, loopback_listener):
    """Sign-up against an old row's remote $ref answers 400; the listener receives nothing, nothing is echoed."""
    stored_before_the_check(tenant, {"properties": {"plan": {"$ref": loopback_listener.url}}})
    response = signup(tenant, {"plan": "free"})
    assert response.status_code == 400, response.content
    assert loopback_listener.requests == []
    assert "internal-secret-value" not in response.content.decode()


@pytest.mark.parametrize(
    "schema",
    [
        {"$ref": "file:///etc/passwd"},
        {"$ref": "file:///no/such/file.json"},
        {"$ref": "#"},
        {"allOf": [{"$ref": "#"}]},
        {"$defs": {"d0": {"allOf": [{"$ref": "#/$defs/d1"}] * 8}, "d1": {"allOf": [{"$ref": "#/$defs/d2"}] * 8},
                   "d2": {"allOf": [{"$ref": "#/$defs/d3"}] * 8}, "d3": {"allOf": [{"$ref": "#/$defs/d4"}] * 8},
                   "d4": {"allOf": [{"$ref": "#/$defs/d5"}] * 8}, "d5": {"type": "object"}}, "$ref": "#/$defs/d0"},
    ],
    ids=["file", "missing file", "self reference", "self reference through allOf", "fan-out"],
)
def test_a_stored_hostile_schema_answers_400_not_500(tenant, schema):
    """Whatever an old row holds, sign-up answers 400 under fields.custom_fields and creates no user."""
    stored_before_the_check(tenant, schema)
    response = signup(tenant, {"plan": "free"})
    assert response.status_code == 400, response.content
    assert "custom_fields" in response.json()["fields"]
    assert call(tenant, "users", method="GET").json()["results"] == []


@pytest.mark.parametrize(
    "schema, custom_fields",
    [
        ({"properties": {"nick": {"type": "string", "pattern": "^(a+)+$"}}}, {"nick": REDOS_VALUE}),
        ({"propertyNames": {"pattern": "^(a+)+$"}}, {REDOS_VALUE: 1}),
        ({"patternProperties": {"^(a+)+$": {"type": "string"}}}, {REDOS_VALUE: 1, "a": 1}),
        ({"patternProperties": {"^(a+)+$": True}, "additionalProperties": False}, {REDOS_VALUE: 1}),
    ],
    ids=["pattern", "propertyNames", "patternProperties", "additionalProperties"],
)
def test_a_backtracking_pattern_answers_promptly(schema, custom_fields, transactional_db):
    """A pattern that backtracks exponentially in Python's `re` is matched by RE2: the 400 comes at once."""
    tenant = make_tenant("Pattern Co", custom_fields_schema=schema)
    started = time.monotonic()
    response = signup(tenant, custom_fields)
    elapsed = time.monotonic() - started
    assert response.status_code == 400, response.content
    assert elapsed < PROMPT_SECONDS


def test_patterns_still_accept_what_they_match(transactional_db):
    """RE2 is a real matcher: a value the pattern matches signs up."""
    tenant = make_tenant("Pattern Co", custom_fields_schema={"properties": {"nick": {"type": "string", "pattern": "^(a+)+$"}}})
    assert signup(tenant, {"nick": "aaaa"}).status_code == 201


def test_descending_recursion_validates_nested_values(transactional_db):
    """A recursive schema checks every level of the value and accepts a conforming one."""
    schema = {"$defs": {"node": {"type": "object", "properties": {"name": {"type": "string"}, "child": {"$ref": "#/$defs/node"}}}},
              "$ref": "#/$defs/node"}
    tenant = make_tenant("Tree Co", custom_fields_schema=schema)
    assert signup(tenant, {"name": "a", "child": {"name": "b", "child": {"name": 3}}}).status_code == 400
    response = call(tenant, "signup", {"email": "bob@example.com", "password": PASSWORD, "custom_fields": {"name": "a", "child": {"name": "b"}}})
    assert response.status_code == 201, response.content
    assert json.loads(response.content)["custom_fields"] == {"name": "a", "child": {"name": "b"}}
