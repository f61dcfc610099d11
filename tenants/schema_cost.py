"""What one validation against a client's schema may cost, charged before the work is done.

A keyword's work grows with what it is given: `items` descends once per element, `enum` compares
with every allowed value, a pattern's time is its text's length times the size of its RE2
program. Counting keyword evaluations let one evaluation of `uniqueItems` over 3,000 mixed values
take seconds. So every keyword charges units in proportion to its own work, before doing it
(tenants/schema_keywords.py), and a validation that would go past its budget stops with
SchemaTooCostly: answered 400, never a worker held.

A unit is about a microsecond of the slowest kind of work it stands for on the hardware this
was measured on; bench/schema_cost.py measures the time per unit of the worst cases found.
Preparing the schema's own side (the canonical forms of its `enum` values, the size of a
reference's target) is bounded by the schema's size and not charged, so a value's cost does not
depend on what a process has already prepared.
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from json.encoder import encode_basestring_ascii as quoted
from typing import Any
from urllib.parse import unquote

# The largest value a schema judges: custom_fields (accounts.validation) and the docs example.
MAX_VALUE_BYTES = 16 * 1024
# One and a half units per byte of the largest value: a plain schema can look at every value of
# it a few times, and the worst cases found spend it in ~25 ms (bench/schema_cost.py).
EVALUATION_BUDGET = 3 * MAX_VALUE_BYTES // 2

KEYWORD = 2  # evaluating any keyword once
VISIT = 3  # descending into a subschema object (a validator evolved for it)
KEYS_PER_UNIT = 10  # ...plus iterating its keys, annotations and unknown keys included
REF = 6  # resolving a $ref
ERROR = 8  # building an error
# ...and its message (the library's quote the whole value): a repr writes ~70 characters a
# microsecond, but an integer's digits only ~20 (CPython's conversion is quadratic: 0.2 ms for
# 4,300 digits, the most JSON parsing allows), so every character is priced as a digit.
MESSAGE_CHARS_PER_UNIT = 20
CANONICAL_CHARS_PER_UNIT = 256  # writing a value's canonical form
SEARCH = 5  # one RE2 search through its Python binding
# RE2 is linear in the text, with a slope up to ~10 ns per character and program instruction
# (its NFA, when a pattern's DFA grows too large), measured in bench/schema_cost.py.
PATTERN_CHAR_INSTRUCTIONS_PER_UNIT = 100


class SchemaUnusable(Exception):
    """The stored schema cannot judge a value (a row from before these checks, or too costly)."""


class SchemaTooCostly(SchemaUnusable):
    """The budget of one validation ran out."""


class _Meter(threading.local):
    remaining = EVALUATION_BUDGET
    root: Any = None
    canonical: dict[int, tuple[Any, str]] | None = None


_meter = _Meter()


def charge(units: int) -> None:
    _meter.remaining -= units
    if _meter.remaining < 0:
        raise SchemaTooCostly


def spent() -> int:
    """Units spent by the validation under way (or the last one): for bench/."""
    return EVALUATION_BUDGET - _meter.remaining


@contextmanager
def metered(root: dict) -> Iterator[None]:
    """One validation against `root`: a fresh budget and memory of canonical forms."""
    _meter.remaining, _meter.root, _meter.canonical = EVALUATION_BUDGET, root, {}
    try:
        yield
    finally:
        _meter.root, _meter.canonical = None, None


def visit_cost(subschema: Any, instance: Any = None) -> int:
    """Descending into a subschema with `instance`: an object pays per key, `true` returns at once,
    `false` answers with an error quoting the whole value, built outside any keyword."""
    if isinstance(subschema, dict):
        return VISIT + len(subschema) // KEYS_PER_UNIT
    return quoting_cost(instance) if subschema is False else 1


def quoting_cost(value: Any) -> int:
    """An error whose message quotes `value` (its repr, about as long as its canonical text)."""
    if isinstance(value, list | dict) or (isinstance(value, str) and len(value) >= 64):
        return ERROR + len(canonical(value)) // MESSAGE_CHARS_PER_UNIT
    return ERROR


def search_cost(regex: Any, text: str) -> int:
    return SEARCH + len(text) * regex.programsize // PATTERN_CHAR_INSTRUCTIONS_PER_UNIT


def error_cost(message: str) -> int:
    return ERROR + len(message) // MESSAGE_CHARS_PER_UNIT


# --- equality in linear time -----------------------------------------------------------------


def _number(value: int | float) -> str:
    # JSON Schema compares numbers by value (1 == 1.0); int(x) of an integral float is exact.
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return repr(value)


def canonical(value: Any, memo: dict[int, tuple[Any, str]] | None = None) -> str:
    """One text per JSON value under JSON Schema equality: 1 and 1.0 alike, true and 1 not,
    object keys in any order. Equal values have equal texts, so a set of them finds duplicates
    (`uniqueItems`) or members (`enum`) in linear time, with Python's randomised string hash.
    """
    if value is None or isinstance(value, bool):
        return "null" if value is None else "true" if value else "false"
    if isinstance(value, int | float) and not (isinstance(value, int) and value.bit_length() > 1024):
        return _number(value)
    if isinstance(value, str) and len(value) < 64:
        return quoted(value)
    if memo is None:
        memo = _meter.canonical if _meter.canonical is not None else {}
    known = memo.get(id(value))
    if known is not None and known[0] is value:
        return known[1]
    charged = memo is _meter.canonical
    if charged:
        charge(KEYWORD + (len(value) if isinstance(value, list | dict) else 0))
    text = _container(value, memo)
    if charged:
        charge(len(text) // (MESSAGE_CHARS_PER_UNIT if isinstance(value, int) else CANONICAL_CHARS_PER_UNIT))
    memo[id(value)] = (value, text)  # the value is kept, so its id is not reused meanwhile
    return text


def _container(value: Any, memo: dict) -> str:
    if isinstance(value, list):
        return "[" + ",".join(canonical(item, memo) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(quoted(key) + ":" + canonical(item, memo) for key, item in sorted(value.items())) + "}"
    return quoted(value) if isinstance(value, str) else _number(value)  # a long text, or an integer beyond 10**308


# --- what the schema's side costs, prepared once per schema object ---------------------------

_PREPARED: dict[tuple[str, int], tuple[Any, Any]] = {}
_PREPARED_MAX = 8192


def prepared(kind: str, value: Any, prepare) -> Any:
    """prepare(value), remembered while `value` (part of a cached schema) is."""
    known = _PREPARED.get((kind, id(value)))
    if known is not None and known[0] is value:
        return known[1]
    if len(_PREPARED) >= _PREPARED_MAX:
        _PREPARED.clear()
    result = prepare(value)
    _PREPARED[(kind, id(value))] = (value, result)
    return result


def enum_texts(enum: list) -> frozenset[str]:
    memo: dict = {}
    return prepared("enum", enum, lambda values: frozenset(canonical(each, memo) for each in values))


def pointer_target(root: Any, reference: Any) -> Any:
    """The node a local `$ref` (`#` or `#/…`) names in `root`, or None."""
    if not isinstance(reference, str) or not (reference == "#" or reference.startswith("#/")):
        return None
    node = root
    for token in reference[2:].split("/") if reference != "#" else []:
        token = unquote(token).replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return None
    return node


def reference_cost(reference: Any, instance: Any) -> int:
    """Resolving a `$ref` and visiting its target (which may be any object, with many keys)."""
    if _meter.root is None or not isinstance(reference, str):
        return REF
    targets = prepared("refs", _meter.root, lambda _: {})
    if reference not in targets:
        targets[reference] = pointer_target(_meter.root, reference)
    return REF + visit_cost(targets[reference], instance)


# Applicators that apply a subschema to the same value: a cycle through them never ends
# (tenants/client_schema.py refuses one), and `unevaluated*` walks them all.
IN_PLACE_LISTS = ("allOf", "anyOf", "oneOf")
IN_PLACE_SINGLE = ("not", "if", "then", "else")


def in_place_children(node: dict) -> Iterator[Any]:
    """Subschemas applied to the same value as `node` (what `unevaluated*` looks through)."""
    if "$ref" in node:
        yield pointer_target(_meter.root, node["$ref"])
    for keyword in IN_PLACE_LISTS:
        if isinstance(node.get(keyword), list):
            yield from node[keyword]
    for keyword in IN_PLACE_SINGLE:
        yield node.get(keyword)
    if isinstance(node.get("dependentSchemas"), dict):
        yield from node["dependentSchemas"].values()


def in_place_paths(node: dict) -> int:
    """How many subschemas `unevaluated*` may walk from `node`: paths through in-place applicators."""
    return prepared("paths", node, lambda _: _paths(node, {}, frozenset()))


def _paths(node: Any, memo: dict[int, int], seen: frozenset) -> int:
    if not isinstance(node, dict):
        return 0
    if id(node) in seen:  # a cycle: only a row stored before registration checked for them
        return EVALUATION_BUDGET
    if id(node) not in memo:  # worked out once per node, however many paths reach it
        inner = seen | {id(node)}
        memo[id(node)] = min(EVALUATION_BUDGET, 1 + sum(_paths(child, memo, inner) for child in in_place_children(node)))
    return memo[id(node)]
