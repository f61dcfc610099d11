"""Property: whatever schema a client registers and whatever values its users send, no 5xx."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.validation import validate_custom_fields
from core.errors import InvalidRequest
from tenants.client_schema import validate_client_schema
from tenants.models import Client
from tests.accounts.conftest import PASSWORD, call
from tests.conftest import Tenant

NAMES = st.sampled_from(["a", "b", "plan", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!"])
PATTERNS = st.sampled_from(["^a+$", "^(a+)+$", "(a)\\1", "(?=a)", "[", "\\d{2,}", ".*", "^\\p{L}+$", "(a|aa)*c"])
REFS = st.sampled_from(
    [
        "#",
        "#/$defs/a",
        "#/$defs/b",
        "#/properties/a",
        "#/items",
        "#/$defs/missing",
        "other.json",
        "file:///etc/passwd",
        "http://127.0.0.1:9/x.json",
        "#anchor",
        "#/$defs/a%20b",
        5,
    ]
)
TYPES = st.sampled_from(["string", "integer", "number", "object", "array", "boolean", "null", "nonsense"])
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.floats(allow_nan=False, width=32),
    st.sampled_from(["", "a", "aaaa", "a" * 30 + "!", "\u00e9", "12"]),
)
VALUES = st.recursive(
    SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(NAMES, inner, max_size=3)), max_leaves=8
)

LEAF_SCHEMAS = st.one_of(
    st.booleans(),
    st.fixed_dictionaries(
        {},
        optional={
            "type": TYPES,
            "pattern": PATTERNS,
            "minLength": st.integers(-1, 3),
            "enum": st.lists(SCALARS, max_size=3),
            "const": SCALARS,
            "format": st.sampled_from(["email", "regex", "date"]),
        },
    ),
)


def _composite(children):
    return st.fixed_dictionaries(
        {},
        optional={
            "type": TYPES,
            "properties": st.dictionaries(NAMES, children, max_size=3),
            "patternProperties": st.dictionaries(PATTERNS, children, max_size=2),
            "additionalProperties": children,
            "propertyNames": children,
            "items": children,
            "prefixItems": st.lists(children, max_size=2),
            "allOf": st.lists(children, max_size=3),
            "anyOf": st.lists(children, max_size=3),
            "oneOf": st.lists(children, max_size=3),
            "not": children,
            "if": children,
            "then": children,
            "else": children,
            "dependentSchemas": st.dictionaries(NAMES, children, max_size=2),
            "unevaluatedProperties": children,
            "$ref": REFS,
            "$defs": st.dictionaries(st.sampled_from(["a", "b", "a b"]), children, max_size=2),
            "$id": st.sampled_from(["http://127.0.0.1:9/root.json", "urn:x"]),
            "required": st.lists(NAMES, max_size=2),
        },
    )


SCHEMAS = st.recursive(LEAF_SCHEMAS, _composite, max_leaves=12).filter(lambda schema: isinstance(schema, dict))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schema=SCHEMAS, values=st.lists(VALUES, min_size=1, max_size=4))
def test_an_accepted_schema_only_ever_refuses_values_with_400(schema, values):
    """Registration's check either refuses a schema (400) or accepts it; an accepted one judges every value 200/400."""
    try:
        validate_client_schema(schema)
    except InvalidRequest as refused:
        assert refused.status_code == 400 and refused.fields["custom_fields_schema"]
        return
    for value in values:
        try:
            validate_custom_fields(value, schema=schema)
        except InvalidRequest as refused:
            assert refused.status_code == 400


@pytest.mark.django_db(transaction=True)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(schema=SCHEMAS, custom_fields=st.dictionaries(NAMES, VALUES, max_size=3))
def test_registration_and_signup_over_http_never_answer_5xx(post_json, schema, custom_fields):
    """Through the API: register with the schema, then sign up with the value; every answer is below 500."""
    registered = post_json(
        "/api/v1/clients/register",
        {"client_name": "Property Co", "industry": "SaaS", "custom_fields_schema": schema},
        REMOTE_ADDR=f"10.{Client.objects.count() % 250}.0.1",
    )
    assert registered.status_code in (201, 400), registered.content
    if registered.status_code == 400:
        return
    body = registered.json()
    tenant = Tenant(client=Client.objects.get(pk=body["client_id"]), access_key=body["access_key"])
    response = call(tenant, "signup", {"email": "ada@example.com", "password": PASSWORD, "custom_fields": custom_fields})
    assert response.status_code in (201, 400), response.content
