"""The keywords a client's schema is run with: Draft 2020-12's, each charging its work first.

Every keyword pays KEYWORD, plus what it will do in proportion to its input (the table COSTS:
`items` one visit per element, `allOf` one per subschema, ...), plus each error it builds, by the
length of the message. Those whose library version does more than linear work, or matches with
Python's backtracking `re`, are our own: `enum`, `const` and `uniqueItems` compare canonical
texts (a set, not every pair); `pattern`, `patternProperties` and `additionalProperties` match
with RE2 and pay per character and program instruction; `properties` walks the smaller of the
value's keys and the schema's. Messages quote values shortened, so a 400 never echoes 16 KB.
"""

from fractions import Fraction
from functools import lru_cache
from itertools import islice
from typing import Any

import jsonschema
import re2
from jsonschema import Draft202012Validator, ValidationError

from tenants.schema_cost import (
    ERROR,
    KEYS_PER_UNIT,
    KEYWORD,
    REF,
    VISIT,
    canonical,
    charge,
    enum_texts,
    error_cost,
    in_place_paths,
    prepared,
    quoting_cost,
    reference_cost,
    search_cost,
    visit_cost,
)

_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False  # a refused pattern is the client's input, not our error log's


@lru_cache(maxsize=4096)
def compiled(pattern: str):
    return re2.compile(pattern, _RE2_OPTIONS)


def _found(regex, text: str) -> bool:
    try:
        return regex.search(text) is not None
    except UnicodeEncodeError:  # a lone surrogate: no UTF-8 for RE2 to read, so nothing matches
        return False


def _matches(regex, text: str) -> bool:
    charge(search_cost(regex, text))
    return _found(regex, text)


def short(value: Any, depth: int = 2) -> str:
    """A repr cut short, in time independent of the value's size: the start of a string, the first
    items of a container (two levels), a huge integer by its size (reprlib was ~40 us a call)."""
    if isinstance(value, str):
        return repr(value[:40]) + ("…" if len(value) > 40 else "")
    if isinstance(value, list | dict):
        pairs = islice(value.items(), 4) if isinstance(value, dict) else enumerate(value[:4])
        inner = [f"{short(key)}: {short(item, depth - 1)}" if isinstance(value, dict) else short(item, depth - 1) for key, item in pairs]
        more = ", …" if len(value) > 4 else ""
        text = ", ".join(inner) + more if depth else "…" * bool(value)
        return f"{{{text}}}" if isinstance(value, dict) else f"[{text}]"
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 128:
        return f"an integer of ~{value.bit_length() * 30103 // 100000 + 1} digits"  # log10(2): no conversion
    return repr(value)


# --- our own keywords ------------------------------------------------------------------------


def _pattern(validator, pattern, instance, schema):
    if validator.is_type(instance, "string") and not _matches(compiled(pattern), instance):
        yield ValidationError(f"{short(instance)} does not match {short(pattern)}")


def _pattern_properties(validator, pattern_properties, instance, schema):
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in pattern_properties.items():
        regex = compiled(pattern)
        for name, value in instance.items():
            if _matches(regex, name):
                charge(visit_cost(subschema, value))
                yield from validator.descend(value, subschema, path=name, schema_path=pattern)


def _extras(instance: dict, schema: dict) -> list[str]:
    """The value's keys that neither `properties` nor a `patternProperties` pattern names."""
    properties = schema.get("properties", {})
    regexes = [compiled(pattern) for pattern in schema.get("patternProperties", {})]
    charge(len(instance) // 4)
    extras = [name for name in instance if name not in properties]
    return [name for name in extras if not any(_matches(regex, name) for regex in regexes)] if regexes else extras


def _additional_properties(validator, additional, instance, schema):
    if not validator.is_type(instance, "object"):
        return
    extras = _extras(instance, schema)
    if validator.is_type(additional, "object"):
        for extra in extras:
            charge(visit_cost(additional))
            yield from validator.descend(instance[extra], additional, path=extra)
    elif not additional and extras:
        listed = ", ".join(repr(extra[:40]) for extra in sorted(extras)[:10])
        yield ValidationError(f"Additional properties are not allowed ({listed} unexpected)")


def _properties(validator, properties, instance, schema):
    if not validator.is_type(instance, "object"):
        return
    # The library walks every property the schema names, for every object; the smaller side will do.
    names = instance if len(instance) < len(properties) else properties
    charge(len(names) // KEYS_PER_UNIT)
    for name in names:
        if name in properties and name in instance:
            charge(visit_cost(properties[name], instance[name]))
            yield from validator.descend(instance[name], properties[name], path=name, schema_path=name)


def _enum(validator, enum, instance, schema):
    if canonical(instance) not in enum_texts(enum):
        yield ValidationError(f"{short(instance)} is not one of {short(enum)}")


def _const(validator, const, instance, schema):
    if canonical(instance) != prepared("const", const, lambda value: canonical(value, {})):
        yield ValidationError(f"{short(const)} was expected")


def _unique_items(validator, unique, instance, schema):
    if not unique or not validator.is_type(instance, "array"):
        return
    charge(len(instance))
    seen: set[str] = set()
    for item in instance:
        text = canonical(item)
        if text in seen:
            yield ValidationError(f"{short(instance)} has non-unique elements")
            return
        seen.add(text)


_library_multiple_of = Draft202012Validator.VALIDATORS["multipleOf"]


def _multiple_of(validator, divisor, instance, schema):
    try:
        errors = list(_library_multiple_of(validator, divisor, instance, schema))
    except OverflowError:  # a huge integer over a float divisor: exact arithmetic instead of a 500
        exact = Fraction(instance) / Fraction(divisor)
        errors = [] if exact.denominator == 1 else [ValidationError(f"{short(instance)} is not a multiple of {divisor}")]
    yield from errors


OWN_KEYWORDS = {
    "pattern": _pattern,
    "patternProperties": _pattern_properties,
    "additionalProperties": _additional_properties,
    "properties": _properties,
    "enum": _enum,
    "const": _const,
    "uniqueItems": _unique_items,
    "multipleOf": _multiple_of,
}


# --- what the library's keywords will do, charged before they do it --------------------------


def _length(value: Any, kind: type) -> int:
    return len(value) if isinstance(value, kind) else 0


def _each(subschema, values) -> int:
    """Visiting `subschema` once per value (a `false` one quotes each value in an error)."""
    return sum(visit_cost(subschema, value) for value in values) if subschema is False else len(values) * visit_cost(subschema)


def _items_cost(items, instance, schema) -> int:
    if items is False:  # one error quoting the extra items, not a visit each
        return quoting_cost(instance)
    return max(0, _length(instance, list) - _length(schema.get("prefixItems"), list)) * visit_cost(items)


def _prefix_items_cost(prefix, instance, schema) -> int:
    items = instance if isinstance(instance, list) else []
    return sum(visit_cost(subschema, item) for subschema, item in zip(prefix, items, strict=False))  # the shorter of the two


def _dependent_required_cost(dependent, instance, schema) -> int:
    if not isinstance(instance, dict):
        return 0
    return len(dependent) // KEYS_PER_UNIT + sum(_length(names, list) for name, names in dependent.items() if name in instance)


def _dependent_schemas_cost(dependent, instance, schema) -> int:
    if not isinstance(instance, dict):
        return 0
    return len(dependent) // KEYS_PER_UNIT + sum(visit_cost(subschema, instance) for name, subschema in dependent.items() if name in instance)


def _unevaluated_cost(unevaluated, instance, schema) -> int:
    # The library walks every in-place subschema for the evaluated keys or indexes (a `false`
    # one quotes the value), then checks each key or index against that list: quadratic.
    if not isinstance(instance, list | dict):
        return 0
    count = len(instance)
    walk = in_place_paths(schema) * (REF + VISIT * (1 + count) + quoting_cost(instance))
    if unevaluated is False:
        each = count * ERROR + quoting_cost(instance)
    else:
        each = count * visit_cost(unevaluated)
    return walk + each + count * count // 128


def _each_subschema(subschemas, instance, schema) -> int:
    return sum(visit_cost(subschema, instance) for subschema in subschemas)


COSTS = {
    "items": _items_cost,
    "prefixItems": _prefix_items_cost,
    "contains": lambda contains, instance, schema: _each(contains, instance if isinstance(instance, list) else []),
    "propertyNames": lambda names, instance, schema: _each(names, list(instance) if isinstance(instance, dict) else []),
    "required": lambda required, instance, schema: _length(required, list) // KEYS_PER_UNIT,
    "dependentRequired": _dependent_required_cost,
    "dependentSchemas": _dependent_schemas_cost,
    "allOf": _each_subschema,
    "anyOf": _each_subschema,
    "oneOf": _each_subschema,
    "not": lambda subschema, instance, schema: visit_cost(subschema, instance),
    "if": lambda subschema, instance, schema: visit_cost(subschema, instance) + max(
        visit_cost(schema.get("then"), instance), visit_cost(schema.get("else"), instance)
    ),
    "$ref": lambda reference, instance, schema: reference_cost(reference, instance),
    "unevaluatedItems": _unevaluated_cost,
    "unevaluatedProperties": _unevaluated_cost,
}


def _metered(keyword, cost=None):
    def evaluate(validator, value, instance, schema):
        charge(KEYWORD + (cost(value, instance, schema) if cost else 0))
        for error in keyword(validator, value, instance, schema) or ():
            # An error starts with an empty schema_path; one passed up from a subschema was charged there.
            charge(1 if error.schema_path else error_cost(error.message))
            yield error

    return evaluate


ClientSchemaValidator = jsonschema.validators.extend(
    Draft202012Validator,
    validators={
        name: _metered(keyword, COSTS.get(name))
        for name, keyword in {**Draft202012Validator.VALIDATORS, **OWN_KEYWORDS}.items()
    },
)
