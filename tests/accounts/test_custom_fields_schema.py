"""Sign-up and PATCH users/<id> run the client's schema without fetching, backtracking, looping or
spending more than a bounded budget: 4xx, never 5xx, fast."""

import json
import time

import pytest

from tests.accounts.conftest import PASSWORD, call
from tests.conftest import Tenant, make_tenant
from tests.cpu import cpu_seconds

pytestmark = pytest.mark.django_db(transaction=True)

# Python's backtracking `re` needs minutes for this value against ^(a+)+$; RE2 answers at once.
REDOS_VALUE = "a" * 40 + "!"
# Generous: a behaviour bound (no backtracking), not a benchmark; bench/ holds timings.
PROMPT_SECONDS = 2.0
# CPU of one whole request through the API: far above what the values below cost now (tens of ms
# at most, bench/schema_cost.py) and far below what they cost before (0.6 s and 3.5 s here).
REQUEST_CPU_SECONDS = 0.25
DIALECT = "https://json-schema.org/draft/2020-12/schema"


def numbers_and_a_string() -> list:
    """As many distinct values as 16 KB holds, one a string: the library could not sort them, so it compared every pair."""
    return ["x", *range(3400)]


# The review's two cases (issue 20): uniqueItems over values of mixed types, and an enum of
# 2,800 values checked against each of 3,200 items. Both values are valid.
COSTLY_VALUES = {
    "uniqueItems over mixed types": ({"properties": {"tags": {"type": "array", "uniqueItems": True}}}, {"tags": numbers_and_a_string()}),
    "2,800-value enum × 3,200 items": ({"properties": {"codes": {"type": "array", "items": {"enum": list(range(2800))}}}}, {"codes": [2799] * 3200}),
}


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
        # With `$schema` at the root, `$ref: "#"` used to reach the library's own validator and its `re`.
        ({"$schema": DIALECT, "properties": {"child": {"$ref": "#"}, "nick": {"pattern": "^(a+)+$"}}}, {"child": {"nick": REDOS_VALUE}}),
    ],
    ids=["pattern", "propertyNames", "patternProperties", "additionalProperties", "$ref to a root naming its $schema"],
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


@pytest.mark.parametrize("schema, custom_fields", COSTLY_VALUES.values(), ids=COSTLY_VALUES.keys())
def test_values_whose_check_grew_with_their_size_sign_up_promptly(schema, custom_fields, transactional_db):
    """Each signs up (201, stored as sent) within a CPU bound, where each used to take a worker for seconds."""
    tenant = make_tenant("Cost Co", custom_fields_schema=schema)
    with cpu_seconds() as spent:
        response = signup(tenant, custom_fields)
    elapsed = spent.seconds
    assert response.status_code == 201, response.content
    assert response.json()["custom_fields"] == custom_fields
    assert elapsed < REQUEST_CPU_SECONDS


@pytest.mark.parametrize("schema, custom_fields", COSTLY_VALUES.values(), ids=COSTLY_VALUES.keys())
def test_values_whose_check_grew_with_their_size_patch_a_user_promptly(schema, custom_fields, transactional_db):
    """PATCH users/<id> (no bcrypt in front of it) applies each within the same CPU bound."""
    tenant = make_tenant("Cost Co", custom_fields_schema=schema)
    user_id = signup(tenant, {}).json()["user_id"]
    with cpu_seconds() as spent:
        response = call(tenant, f"users/{user_id}", {"custom_fields": custom_fields}, method="PATCH")
    elapsed = spent.seconds
    assert response.status_code == 200, response.content
    assert call(tenant, f"users/{user_id}", method="GET").json()["custom_fields"] == custom_fields
    assert elapsed < REQUEST_CPU_SECONDS


def test_a_value_beyond_the_budget_is_refused_at_patch_and_changes_nothing(transactional_db):
    """8,000 items under a schema that checks each three ways spend the budget: 400 too costly, the user as before."""
    tenant = make_tenant("Cost Co", custom_fields_schema={"properties": {"a": {"items": {"type": "integer", "minimum": 0, "maximum": 9}}}})
    user_id = signup(tenant, {"a": [1]}).json()["user_id"]
    response = call(tenant, f"users/{user_id}", {"custom_fields": {"a": [0] * 8000}}, method="PATCH")
    assert response.status_code == 400, response.content
    assert "too costly" in json.dumps(response.json()["fields"]["custom_fields"])
    assert call(tenant, f"users/{user_id}", method="GET").json()["custom_fields"] == {"a": [1]}
