"""One validation against a registered schema costs a bounded amount of CPU, and the same verdicts.

Schemas are drawn from the keywords whose work grows with what they are given (arrays, enums,
patterns, `*Properties`, `unevaluated*`, fan-out), values up to the custom_fields limits, parsed
from JSON text as a request body is. bench/schema_cost.py times the worst cases found.
"""

import json
import random

import pytest
from hypothesis import HealthCheck, assume, given, settings, target
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from accounts.validation import MAX_CUSTOM_FIELDS_BYTES, validate_custom_fields
from core.errors import InvalidRequest
from tenants.client_schema import schema_accepts, validate_client_schema
from tests.cpu import cpu_seconds

pytestmark = pytest.mark.store_independent

# The CPU one validation may take, with a wide margin over the ~30 ms the budget allows on this
# hardware (bench/schema_cost.py): a bound, not a benchmark.
CPU_SECONDS = 0.050


def _ab(length: int, seed: int) -> str:
    draw = random.Random(seed)
    return "".join(draw.choice("ab") for _ in range(length))


# --- values: as large as the limits allow ---------------------------------------------------

ELEMENT_MAKERS = {
    "zeros": lambda index: 0,
    "distinct numbers": lambda index: index,
    "mixed types": lambda index: index if index % 2 else str(index),
    "small objects": lambda index: {"k": index % 50, "v": [index % 3]},
    "short strings": lambda index: "ab"[index % 2] * (1 + index % 5),
    "arrays": lambda index: [index % 4, index % 3],
    "empty objects": lambda index: {},
}


def _fitted(build, count: int):
    """build(count), halving count until its JSON fits in custom_fields (as given, at count 0)."""
    while True:
        value = json.loads(json.dumps(build(count)))
        if len(json.dumps(value, separators=(",", ":")).encode()) <= MAX_CUSTOM_FIELDS_BYTES - 64 or count == 0:
            return value
        count //= 2


BIG_ARRAYS = st.builds(
    lambda maker, count: _fitted(lambda n: [ELEMENT_MAKERS[maker](index) for index in range(n)], count),
    st.sampled_from(sorted(ELEMENT_MAKERS)),
    st.one_of(st.integers(0, 8000), st.sampled_from([2000, 8000])),
)
BIG_OBJECTS = st.builds(
    lambda maker, count, prefix: _fitted(lambda n: {f"{prefix}{index}": ELEMENT_MAKERS[maker](index) for index in range(n)}, count),
    st.sampled_from(sorted(ELEMENT_MAKERS)),
    st.one_of(st.integers(0, 2500), st.sampled_from([1000, 2500])),
    st.sampled_from(["k", "x1", "a", "p"]),
)
LONG_STRINGS = st.builds(
    lambda kind, length: _fitted(lambda n: {"ab": _ab(n, n), "a!": "a" * n + "!", "é": "é" * n}[kind], length),
    st.sampled_from(["ab", "a!", "é"]),
    st.one_of(st.integers(0, 16000), st.just(16000)),
)
# Integers as long as JSON parsing allows (4,300 digits): Python writes them out in quadratic time.
HUGE = int("9" * 4299)
SMALL = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.sampled_from(["", "a", "ab", "x1b", 10**400, HUGE]))
LARGE = st.one_of(BIG_ARRAYS, BIG_OBJECTS, LONG_STRINGS, SMALL)
NAMES = st.sampled_from(["a", "b", "k1", "p0", "x1b"])
VALUES = st.one_of(
    st.builds(lambda inner: {"a": inner}, LARGE),
    BIG_OBJECTS,
    st.dictionaries(NAMES, LARGE, max_size=2),
    st.builds(lambda inner: {"a": {"a": inner}}, LARGE),
).map(lambda value: _fitted(lambda _: value, 1))

# --- schemas: every keyword whose work grows with its input, at sizes registration allows --

PATTERNS = st.sampled_from(["^a", "[ab]*a[ab]{100}c", "^x1[a-z]+$", "^.{1,300}$", "(a+)+$", "é", "^[a-z0-9]{1,8}$"])
ENUMS = st.builds(
    lambda maker, count: [ELEMENT_MAKERS[maker](index) for index in range(count)],
    st.sampled_from(sorted(ELEMENT_MAKERS)),
    st.one_of(st.integers(0, 1500), st.just(1500)),
)
# One keyword at a time, mostly: a value refused by its first keyword costs little.
KEYWORDS = st.one_of(
    st.builds(lambda kind: {"type": kind}, st.sampled_from(["string", "integer", "array", "object", "number"])),
    st.builds(lambda enum: {"enum": enum}, ENUMS),
    st.builds(lambda const: {"const": const}, st.one_of(SMALL, ENUMS)),
    st.builds(lambda pattern: {"pattern": pattern}, PATTERNS),
    st.just({"uniqueItems": True}),
    st.builds(lambda count: {"required": [f"n{index}" for index in range(count)]}, st.integers(0, 800)),
    st.builds(lambda divisor: {"multipleOf": divisor}, st.sampled_from([0.1, 7, 1e-9])),
    st.just({"maximum": HUGE // 10**299}),
    st.builds(lambda count: {f"u{index}": 0 for index in range(count)}, st.sampled_from([0, 40, 1200])),
)
LEAVES = st.one_of(st.booleans(), KEYWORDS, st.builds(lambda first, second: {**first, **second}, KEYWORDS, KEYWORDS))


def _composite(children):
    many = st.builds(lambda child, count: [child] * count, children, st.integers(1, 60))
    return st.fixed_dictionaries(
        {},
        optional={
            "items": children,
            "prefixItems": st.lists(children, max_size=3),
            "contains": children,
            "properties": st.one_of(
                st.dictionaries(NAMES, children, max_size=3),
                st.builds(lambda child, count: {f"p{index}": child for index in range(count)}, children, st.integers(0, 400)),
            ),
            "patternProperties": st.dictionaries(PATTERNS, children, max_size=4),
            "additionalProperties": children,
            "propertyNames": children,
            "allOf": many,
            "anyOf": many,
            "oneOf": st.lists(children, max_size=4),
            "not": children,
            "if": children,
            "then": children,
            "else": children,
            "dependentSchemas": st.dictionaries(NAMES, children, max_size=2),
            "dependentRequired": st.dictionaries(NAMES, st.builds(lambda count: [f"n{index}" for index in range(count)], st.integers(0, 600))),
            "unevaluatedItems": children,
            "unevaluatedProperties": children,
            "$ref": st.sampled_from(["#", "#/$defs/d", "#/properties"]),
            "$defs": st.fixed_dictionaries({"d": children}),
        },
    )


SUBSCHEMAS = st.recursive(LEAVES, _composite, max_leaves=10)
# A subschema applied where a large value is: to the whole of it, to each of its properties, to
# each of its items, or within anyOf/not (which keep every error of a branch; the top level stops at 20).
CASES = st.one_of(
    st.tuples(SUBSCHEMAS.filter(lambda schema: isinstance(schema, dict)), VALUES),
    st.builds(lambda schema, value: ({"additionalProperties": schema}, value), SUBSCHEMAS, BIG_OBJECTS),
    st.builds(lambda schema, value: ({"properties": {"a": schema}}, {"a": value}), SUBSCHEMAS, LARGE),
    st.builds(lambda schema, value: ({"properties": {"a": {"items": schema}}}, {"a": value}), SUBSCHEMAS, BIG_ARRAYS),
    st.builds(lambda schema, value: ({"properties": {"a": {"anyOf": [schema, {"not": schema}]}}}, {"a": value}), SUBSCHEMAS, LARGE),
).map(lambda case: (json.loads(json.dumps(case[0])), _fitted(lambda _: case[1], 1)))


def registered(schema: dict) -> bool:
    try:
        validate_client_schema(schema)
    except InvalidRequest:
        return False
    return True


@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
@given(case=CASES)
def test_one_validation_stays_within_a_fixed_cpu_budget(case):
    """For any schema registration accepts and any value within the limits: 2xx/400 in under CPU_SECONDS."""
    schema, value = case
    assume(registered(schema))
    with cpu_seconds() as spent:
        try:
            validate_custom_fields(value, schema=schema)
        except InvalidRequest as refused:
            assert refused.status_code == 400
    elapsed = spent.seconds
    target(elapsed, label="CPU seconds of one validation")  # steer the search towards the costliest
    assert elapsed < CPU_SECONDS


# --- the same verdicts as the library, on small values ---------------------------------------

SMALL_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-2, 2), st.sampled_from([1.0, 0.5, 2.0, "", "a", "1", "ab"])),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(["a", "b", "x1b"]), inner, max_size=3)),
    max_leaves=6,
)
SAFE_PATTERNS = st.sampled_from(["^a", "b$", "^x1[a-z]+$", "[0-9]"])


def _verdict_schemas(children):
    return st.fixed_dictionaries(
        {},
        optional={
            "items": children,
            "properties": st.dictionaries(st.sampled_from(["a", "b"]), children, max_size=2),
            "patternProperties": st.dictionaries(SAFE_PATTERNS, children, max_size=2),
            "additionalProperties": children,
            "anyOf": st.lists(children, min_size=1, max_size=2),
            "not": children,
            "contains": children,
            "unevaluatedItems": children,
        },
    )


VERDICT_LEAVES = st.one_of(
    st.booleans(),
    st.fixed_dictionaries(
        {},
        optional={
            "enum": st.lists(SMALL_VALUES, max_size=4),
            "const": SMALL_VALUES,
            "uniqueItems": st.booleans(),
            "pattern": SAFE_PATTERNS,
            "multipleOf": st.sampled_from([0.5, 2, 0.1]),
            "type": st.sampled_from(["integer", "number", "string", "array", "object", "boolean", "null"]),
        },
    ),
)
VERDICT_SCHEMAS = st.recursive(VERDICT_LEAVES, _verdict_schemas, max_leaves=6).filter(lambda schema: isinstance(schema, dict))


@settings(max_examples=200, deadline=None)
@given(schema=VERDICT_SCHEMAS, value=SMALL_VALUES)
def test_the_metered_keywords_judge_as_the_library_does(schema, value):
    """Canonical equality (enum, const, uniqueItems), RE2 and the other rewritten keywords change no verdict."""
    assert schema_accepts(schema, value) == Draft202012Validator(schema).is_valid(value)


@pytest.mark.parametrize(
    ("schema", "value", "accepted"),
    [
        ({"uniqueItems": True}, [1, 1.0], False),
        ({"uniqueItems": True}, [1, True], True),
        ({"uniqueItems": True}, [0, False, None, "0", [0], {"0": 0}], True),
        ({"uniqueItems": True}, [{"a": 1, "b": [2]}, {"b": [2.0], "a": 1}], False),
        ({"uniqueItems": True}, [10**15, float(10**15)], False),
        ({"uniqueItems": True}, [2**53 + 1, float(2**53)], True),
        ({"enum": [1]}, 1.0, True),
        ({"enum": [1]}, True, False),
        ({"enum": [[1, "a"]]}, [1.0, "a"], True),
        ({"const": {"a": [1, {"b": None}]}}, {"a": [1, {"b": None}]}, True),
        ({"const": {"a": [1]}}, {"a": [True]}, False),
        ({"multipleOf": 0.5}, 10**400, True),
        ({"multipleOf": 0.1}, 10**400, False),
    ],
    ids=lambda value: repr(value)[:40],
)
def test_json_schema_equality_holds(schema, value, accepted):
    """Numbers equal by value, booleans never numbers, object keys in any order; a huge integer is a 400 or 2xx, not a 500."""
    assert schema_accepts(schema, value) is accepted
