"""A client's `custom_fields_schema` is hostile input (docs/api.md §8).

Anyone who registers a client writes a JSON Schema that then runs on every sign-up of that
client, in our workers. So it is checked once, at registration, and run in a validator that
cannot reach the network or the disk, cannot backtrack, and cannot run without bound:

- only references inside the schema (`#` or `#/…`), resolved through a registry whose
  retrieval refuses everything, so nothing is ever fetched, whatever slips past the check;
- `pattern` and `patternProperties` (and `additionalProperties`, which consults them) are
  matched by RE2, whose time is linear in the input; a pattern RE2 cannot compile is refused,
  and so is one whose program is so large that a short text would cost much of a budget;
- no cycle of references that stays on the same value (`{"$ref": "#"}` recursed forever);
- every keyword charges its work, in proportion to what it is given, against a budget per
  validation (tenants/schema_cost.py, tenants/schema_keywords.py): spending it is the client's
  schema being too costly for that value, answered 400, never a worker held for seconds.
"""

import json
from collections.abc import Iterator
from functools import lru_cache
from typing import Any
from urllib.parse import unquote

import jsonschema
import re2
from jsonschema import Draft202012Validator, ValidationError
from referencing import Registry
from referencing.exceptions import NoSuchResource, Unresolvable

from core.errors import InvalidRequest
from tenants.schema_cost import (
    EVALUATION_BUDGET,
    IN_PLACE_LISTS,
    IN_PLACE_SINGLE,
    PATTERN_CHAR_INSTRUCTIONS_PER_UNIT,
    SchemaTooCostly,
    SchemaUnusable,
    charge,
    metered,
    pointer_target,
    visit_cost,
)
from tenants.schema_keywords import ClientSchemaValidator, compiled

MAX_SCHEMA_BYTES = 16 * 1024
MAX_SCHEMA_DEPTH = 32
DIALECT = "https://json-schema.org/draft/2020-12/schema"
# A pattern must be able to check a text this long for an eighth of a budget: RE2's time is the
# text's length times its program's size, which counted repetition multiplies (`^.{1,500}$` is
# 4,501 instructions, `^.+$` with maxLength 500 is 11).
PATTERN_TEXT = 128
MAX_PATTERN_PROGRAM = EVALUATION_BUDGET // 8 * PATTERN_CHAR_INSTRUCTIONS_PER_UNIT // PATTERN_TEXT

# Keywords that name or find other resources; only JSON-pointer `$ref`s are kept.
REFUSED_KEYWORDS = ("$id", "$anchor", "$dynamicAnchor", "$dynamicRef", "$recursiveRef", "$recursiveAnchor", "$vocabulary")

FIELD = "custom_fields_schema"


def _refuse(message: str):
    raise InvalidRequest("custom_fields_schema is not accepted.", fields={FIELD: [message]})


# --- the validator ---------------------------------------------------------------------------


def _retrieve_nothing(uri: str):
    raise NoSuchResource(ref=uri)


NO_RETRIEVAL = Registry(retrieve=_retrieve_nothing)


@lru_cache(maxsize=1024)
def _validator(schema_json: str) -> ClientSchemaValidator:
    schema = json.loads(schema_json)
    # A subschema with `$schema` makes the library switch to that dialect's own validator, whose
    # keywords are neither ours nor metered (and match with backtracking `re`): `{"$ref": "#"}`
    # reached the stock validator through the root's. The root's is 2020-12 (checked), so it goes.
    schema.pop("$schema", None)
    if any("$schema" in node for _, node in _walk(schema)):
        raise SchemaUnusable  # only a row stored before registration refused a nested one
    return ClientSchemaValidator(schema, registry=NO_RETRIEVAL)


def safe_validator(schema: dict) -> ClientSchemaValidator:
    """The validator of a (registered, hence checked) schema; built once per distinct schema."""
    return _validator(json.dumps(schema, sort_keys=True, separators=(",", ":")))


def schema_errors(schema: dict, instance: Any, *, limit: int = 20) -> list[ValidationError]:
    """Up to `limit` errors of `instance` against `schema`, in a validation of bounded cost.

    Raises SchemaTooCostly when it would cost more than one validation may spend,
    SchemaUnusable when the schema refers outside itself (only a row stored before these checks can).
    """
    errors: list[ValidationError] = []
    try:
        validator = safe_validator(schema)
    except RecursionError:
        raise SchemaUnusable from None  # nested deeper than registration allows: an old row
    with metered(validator.schema):
        try:
            charge(visit_cost(validator.schema))
            for error in validator.iter_errors(instance):
                errors.append(error)
                if len(errors) >= limit:
                    break
        except RecursionError:
            raise SchemaTooCostly from None
        except Unresolvable:
            raise SchemaUnusable from None
    return errors


def schema_accepts(schema: dict, instance: Any) -> bool:
    try:
        return not schema_errors(schema, instance, limit=1)
    except SchemaUnusable:
        return False


# --- the check at registration ---------------------------------------------------------------


def validate_client_schema(schema: object) -> None:
    """Refuse (400, `fields.custom_fields_schema`) a schema that could fetch, backtrack or loop."""
    if schema is None:
        return
    if not isinstance(schema, dict):
        _refuse("Must be a JSON Schema object.")
    if len(json.dumps(schema, separators=(",", ":")).encode()) > MAX_SCHEMA_BYTES:
        _refuse(f"Must be at most {MAX_SCHEMA_BYTES // 1024} KB of JSON.")
    if _depth(schema) > MAX_SCHEMA_DEPTH:
        _refuse(f"Must be nested at most {MAX_SCHEMA_DEPTH} levels deep.")
    try:
        Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError as error:
        _refuse(f"Not a valid JSON Schema (draft 2020-12): {error.message[:300]}")
    _check_keywords(schema)
    _check_no_in_place_cycle(schema)
    _check_affordable(schema)


def _depth(value: Any) -> int:
    # Iterative: the value is hostile and may be nested deeper than Python recurses.
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            if depth <= MAX_SCHEMA_DEPTH:
                stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def _walk(value: Any, pointer: str = "") -> Iterator[tuple[str, dict]]:
    """Every object in the schema with its JSON pointer (data such as `const` included: stricter)."""
    if isinstance(value, dict):
        yield pointer, value
        for key, item in value.items():
            yield from _walk(item, f"{pointer}/{_escape(key)}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, f"{pointer}/{index}")


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _check_keywords(schema: dict) -> None:
    if schema.get("$schema", DIALECT) != DIALECT:
        _refuse(f"$schema, when given, must be {DIALECT}.")
    for pointer, node in _walk(schema):
        if pointer and "$schema" in node:
            _refuse(f"{pointer or '/'}: $schema is allowed only at the top.")
        if refused := [keyword for keyword in REFUSED_KEYWORDS if keyword in node]:
            _refuse(f"{pointer or '/'}: {refused[0]} is not supported; use $ref to #/$defs/… instead.")
        if "$ref" in node:
            _target(schema, node["$ref"], pointer)
        if isinstance(node.get("pattern"), str):
            _check_pattern(node["pattern"], pointer)
        if isinstance(node.get("patternProperties"), dict):
            for pattern in node["patternProperties"]:
                _check_pattern(pattern, pointer)
            if _uses_unevaluated_properties(schema):
                _refuse("patternProperties cannot be combined with unevaluatedProperties.")


def _uses_unevaluated_properties(schema: dict) -> bool:
    return any("unevaluatedProperties" in node for _, node in _walk(schema))


def _check_pattern(pattern: str, pointer: str) -> None:
    try:
        program = compiled(pattern).programsize
    except (re2.error, UnicodeEncodeError):
        _refuse(f"{pointer or '/'}: the pattern {pattern[:80]!r} is not supported (RE2 syntax: no backreferences or lookaround).")
    if program > MAX_PATTERN_PROGRAM:
        _refuse(
            f"{pointer or '/'}: the pattern {pattern[:80]!r} is too complex ({program} RE2 instructions, at most "
            f"{MAX_PATTERN_PROGRAM}): repeat large classes with + or * and bound the length with maxLength instead of {{m,n}}."
        )


def _target(schema: dict, reference: object, pointer: str) -> str:
    """The JSON pointer a local `$ref` names, which must exist; anything else is refused."""
    if not isinstance(reference, str) or not (reference == "#" or reference.startswith("#/")):
        _refuse(f"{pointer or '/'}: only references within the schema (# or #/…) are allowed, not {str(reference)[:80]!r}.")
    node = pointer_target(schema, reference)
    if node is None:
        _refuse(f"{pointer or '/'}: {reference[:80]!r} names nothing in the schema.")
    if not isinstance(node, dict | bool):
        _refuse(f"{pointer or '/'}: {reference[:80]!r} does not name a schema.")
    return "/".join(_escape(unquote(token).replace("~1", "/").replace("~0", "~")) for token in reference[1:].split("/"))


def _in_place_children(schema: dict, pointer: str, node: dict) -> Iterator[str]:
    if "$ref" in node:
        yield _target(schema, node["$ref"], pointer)
    for keyword in IN_PLACE_LISTS:
        if isinstance(node.get(keyword), list):
            yield from (f"{pointer}/{keyword}/{index}" for index in range(len(node[keyword])))
    for keyword in IN_PLACE_SINGLE:
        if isinstance(node.get(keyword), dict):
            yield f"{pointer}/{keyword}"
    if isinstance(node.get("dependentSchemas"), dict):
        yield from (f"{pointer}/dependentSchemas/{_escape(name)}" for name in node["dependentSchemas"])


def _check_no_in_place_cycle(schema: dict) -> None:
    """Refuse a chain of references and in-place applicators that comes back to where it began."""
    nodes = dict(_walk(schema))
    edges = {pointer: [child for child in _in_place_children(schema, pointer, node) if child in nodes] for pointer, node in nodes.items()}
    done: set[str] = set()
    for start in edges:
        if start in done:
            continue
        on_path: set[str] = {start}
        stack = [(start, iter(edges[start]))]
        while stack:
            pointer, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                on_path.discard(pointer)
                done.add(pointer)
            elif child in on_path:
                _refuse(f"{child or '/'}: references loop back to themselves without descending into the value.")
            elif child not in done:
                on_path.add(child)
                stack.append((child, iter(edges[child])))


def _check_affordable(schema: dict) -> None:
    """A schema whose applicators fan out beyond the budget even for an empty object is refused."""
    try:
        schema_errors(schema, {})
    except SchemaTooCostly:
        _refuse("Too costly to evaluate, even for an empty object: its allOf/anyOf/oneOf/$ref combinations fan out too far.")
