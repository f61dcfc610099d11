"""A client's `custom_fields_schema` is hostile input (docs/api.md §8).

Anyone who registers a client writes a JSON Schema that then runs on every sign-up of that
client, in our workers. So it is checked once, at registration, and run in a validator that
cannot reach the network or the disk, cannot backtrack, and cannot run without bound:

- only references inside the schema (`#` or `#/…`), resolved through a registry whose
  retrieval refuses everything, so nothing is ever fetched, whatever slips past the check;
- `pattern` and `patternProperties` (and `additionalProperties`, which consults them) are
  matched by RE2, whose time is linear in the input; a pattern RE2 cannot compile is refused;
- no cycle of references that stays on the same value (`{"$ref": "#"}` recursed forever);
- every validation has a budget of keyword evaluations: spending it is the client's schema
  being too costly, answered 400, never a worker held for seconds.
"""

import json
import threading
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

MAX_SCHEMA_BYTES = 16 * 1024
MAX_SCHEMA_DEPTH = 32
# Keyword evaluations one validation may spend; a plain schema spends tens per sign-up.
EVALUATION_BUDGET = 20_000
DIALECT = "https://json-schema.org/draft/2020-12/schema"

# Keywords that name or find other resources; only JSON-pointer `$ref`s are kept.
REFUSED_KEYWORDS = ("$id", "$anchor", "$dynamicAnchor", "$dynamicRef", "$recursiveRef", "$recursiveAnchor", "$vocabulary")
# Applicators that apply a subschema to the same value: a cycle through them never ends.
IN_PLACE_LISTS = ("allOf", "anyOf", "oneOf")
IN_PLACE_SINGLE = ("not", "if", "then", "else")

FIELD = "custom_fields_schema"


class SchemaUnusable(Exception):
    """The stored schema cannot judge a value (a row from before these checks, or too costly)."""


class SchemaTooCostly(SchemaUnusable):
    """The evaluation budget of one validation ran out."""


def _refuse(message: str):
    raise InvalidRequest("custom_fields_schema is not accepted.", fields={FIELD: [message]})


# --- the validator ---------------------------------------------------------------------------


def _retrieve_nothing(uri: str):
    raise NoSuchResource(ref=uri)


NO_RETRIEVAL = Registry(retrieve=_retrieve_nothing)

_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False  # a refused pattern is the client's input, not our error log's


@lru_cache(maxsize=4096)
def _compiled(pattern: str):
    return re2.compile(pattern, _RE2_OPTIONS)


def _pattern(validator, pattern, instance, schema):
    if validator.is_type(instance, "string") and not _compiled(pattern).search(instance):
        yield ValidationError(f"{instance[:80]!r} does not match {pattern!r}")


def _pattern_properties(validator, pattern_properties, instance, schema):
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in pattern_properties.items():
        for name, value in instance.items():
            if _compiled(pattern).search(name):
                yield from validator.descend(value, subschema, path=name, schema_path=pattern)


def _additional(instance: dict, schema: dict) -> Iterator[str]:
    properties = schema.get("properties", {})
    patterns = [_compiled(pattern) for pattern in schema.get("patternProperties", {})]
    for name in instance:
        if name not in properties and not any(pattern.search(name) for pattern in patterns):
            yield name


def _additional_properties(validator, additional, instance, schema):
    if not validator.is_type(instance, "object"):
        return
    extras = list(_additional(instance, schema))
    if validator.is_type(additional, "object"):
        for extra in extras:
            yield from validator.descend(instance[extra], additional, path=extra)
    elif not additional and extras:
        listed = ", ".join(repr(extra[:40]) for extra in sorted(extras)[:10])
        yield ValidationError(f"Additional properties are not allowed ({listed} unexpected)")


class _Budget(threading.local):
    remaining = EVALUATION_BUDGET


_budget = _Budget()


def _metered(keyword):
    def evaluate(validator, value, instance, schema):
        _budget.remaining -= 1
        if _budget.remaining < 0:
            raise SchemaTooCostly
        return keyword(validator, value, instance, schema)

    return evaluate


_KEYWORDS = {
    **Draft202012Validator.VALIDATORS,
    "pattern": _pattern,
    "patternProperties": _pattern_properties,
    "additionalProperties": _additional_properties,
}
ClientSchemaValidator = jsonschema.validators.extend(
    Draft202012Validator, validators={name: _metered(keyword) for name, keyword in _KEYWORDS.items()}
)


@lru_cache(maxsize=1024)
def _validator(schema_json: str) -> ClientSchemaValidator:
    return ClientSchemaValidator(json.loads(schema_json), registry=NO_RETRIEVAL)


def safe_validator(schema: dict) -> ClientSchemaValidator:
    """The validator of a (registered, hence checked) schema; built once per distinct schema."""
    return _validator(json.dumps(schema, sort_keys=True, separators=(",", ":")))


def schema_errors(schema: dict, instance: Any, *, limit: int = 20) -> list[ValidationError]:
    """Up to `limit` errors of `instance` against `schema`, in a bounded evaluation.

    Raises SchemaTooCostly when the schema needs more work than one validation may spend,
    SchemaUnusable when it refers outside itself (only a row stored before these checks can).
    """
    _budget.remaining = EVALUATION_BUDGET
    errors: list[ValidationError] = []
    try:
        for error in safe_validator(schema).iter_errors(instance):
            errors.append(error)
            if len(errors) >= limit:
                break
    except RecursionError:
        raise SchemaTooCostly from None
    except Unresolvable:
        raise SchemaUnusable from None
    finally:
        _budget.remaining = EVALUATION_BUDGET
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
        _compiled(pattern)
    except re2.error:
        _refuse(f"{pointer or '/'}: the pattern {pattern[:80]!r} is not supported (RE2 syntax: no backreferences or lookaround).")


def _target(schema: dict, reference: object, pointer: str) -> str:
    """The JSON pointer a local `$ref` names, which must exist; anything else is refused."""
    if not isinstance(reference, str) or not (reference == "#" or reference.startswith("#/")):
        _refuse(f"{pointer or '/'}: only references within the schema (# or #/…) are allowed, not {str(reference)[:80]!r}.")
    node: Any = schema
    for token in reference[2:].split("/") if reference != "#" else []:
        token = unquote(token).replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
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
        _refuse("Too costly to evaluate: its allOf/anyOf/oneOf/$ref combinations fan out too far.")
