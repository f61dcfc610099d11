"""What one validation against a client's schema costs, for the worst cases found (bench/README.md).

Each case is a schema that registration accepts (or a note that it refuses it) and a value within
the custom_fields limits (16 KB of JSON, 5 levels), parsed from JSON text as a request body is.
For each, the CPU time of one validation (time.process_time, median and max of the repeats), the
outcome (valid, N errors, or too costly: 400), the units it spent of the budget, and the time per
unit: the cost model is right when that last column stays near or under a microsecond.

    .venv/bin/python bench/schema_cost.py            # ~2 s
    .venv/bin/python bench/schema_cost.py --repeat 3 --case enum
"""

import argparse
import gc
import json
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from core.errors import InvalidRequest  # noqa: E402
from tenants import client_schema  # noqa: E402

MAX_BODY = 16 * 1024


def mixed(count: int) -> list:
    """Numbers and strings alternately: the library's sort fails, so it compared every pair."""
    return [index if index % 2 else str(index) for index in range(count)]


def keyed(count: int, width: int = 3) -> dict:
    return {f"k{index:0{width}}": index % 7 for index in range(count)}


def _ab(length: int) -> str:
    """a and b at random (seeded): RE2's DFA outgrows its memory on such text and falls back to its NFA."""
    draw = random.Random(length)
    return "".join(draw.choice("ab") for _ in range(length))


# name: (schema, value). The first two are the review's reported cases.
CASES = {
    "uniqueItems, mixed types": ({"properties": {"a": {"type": "array", "uniqueItems": True}}}, {"a": mixed(2600)}),
    "enum of 2,800 × 3,200 items": ({"properties": {"a": {"items": {"enum": list(range(2800))}}}}, {"a": [2799] * 3200}),
    "uniqueItems, distinct short strings": ({"properties": {"a": {"uniqueItems": True}}}, {"a": [f"{index:x}" for index in range(2700)]}),
    "uniqueItems, distinct objects": ({"properties": {"a": {"uniqueItems": True}}}, {"a": [{"k": index} for index in range(1500)]}),
    "enum of objects × objects": (
        {"properties": {"a": {"items": {"enum": [{"k": index, "v": [index]} for index in range(400)]}}}},
        {"a": [{"k": 399, "v": [399]}] * 650},
    ),
    "const, large, per item": ({"properties": {"a": {"items": {"const": list(range(1500))}}}}, {"a": [list(range(1500))] * 1}),
    "plain items × 8,000": ({"properties": {"a": {"items": {"type": "integer", "minimum": 0, "maximum": 9}}}}, {"a": [0] * 8000}),
    "items: true × 8,000": ({"properties": {"a": {"items": True}}}, {"a": [0] * 8000}),
    "items with 1,000 unknown keys": ({"properties": {"a": {"items": keyed(1000, 4)}}}, {"a": [0] * 8000}),
    "$ref to a 1,000-key object": ({"$defs": {"big": keyed(900, 4)}, "properties": {"a": {"items": {"$ref": "#/$defs/big"}}}}, {"a": [0] * 8000}),
    "contains × 8,000": ({"properties": {"a": {"contains": {"type": "string", "minLength": 1}}}}, {"a": [0] * 8000}),
    "anyOf of failing items": (
        {"properties": {"a": {"anyOf": [{"items": {"type": "string"}}, {"items": {"type": "boolean"}}, {"items": {"type": "null"}}]}}},
        {"a": [0] * 8000},
    ),
    "type errors on a large value": (
        {"anyOf": [{"type": "array"}] * 400},
        {"k" + str(index): list(range(3)) for index in range(1000)},
    ),
    "anyOf of 60 false on a large value": ({"anyOf": [False] * 60}, keyed(1500)),
    "false per item, inside anyOf": ({"properties": {"a": {"anyOf": [{"items": False, "prefixItems": [False] * 40}, True]}}}, {"a": [[0] * 30] * 40}),
    "anyOf of type errors on a 4,300-digit integer": ({"anyOf": [{"type": "string"}] * 300}, {"n": int("9" * 4299)}),
    "a 4,000-digit maximum quoted per item": (
        {"properties": {"a": {"anyOf": [{"items": {"not": {"maximum": int("9" * 4000)}}}, True]}}},
        {"a": [0] * 2000},
    ),
    "enum × a 4,300-digit integer": ({"anyOf": [{"enum": [index]} for index in range(300)]}, int("9" * 4299)),
    "oneOf of large schemas, all valid": (
        {"properties": {"a": {"oneOf": [{"description": "x" * 1500, "minimum": index} for index in range(8)]}}},
        {"a": 10},
    ),
    "not with a large value": ({"properties": {"a": {"items": {"not": {"type": "array"}}}}}, {"a": [[0] * 10] * 700}),
    "properties, 550 named × small objects": (
        {"properties": {"a": {"items": {"properties": {f"p{index}": {"type": "integer"} for index in range(550)}}}}},
        {"a": [{}] * 5300},
    ),
    "patternProperties, 20 patterns × 1,600 keys": (
        {"patternProperties": {f"^x{index}[a-z]+$": {"type": "integer"} for index in range(20)}},
        keyed(1600),
    ),
    "additionalProperties false, 20 patterns × 1,600 keys": (
        {"patternProperties": {f"^x{index}[a-z]+$": True for index in range(20)}, "additionalProperties": False},
        keyed(1600),
    ),
    "propertyNames pattern × 1,600 keys": ({"propertyNames": {"pattern": "^[a-z]{1,8}[0-9]{3}$"}}, keyed(1600)),
    "pattern, NFA ([ab]*a[ab]{N}) on 16 KB": (
        {"properties": {"s": {"type": "string", "pattern": "[ab]*a[ab]{250}c"}}},
        {"s": _ab(16000)},
    ),
    "pattern, NFA, 60 short strings": (
        {"properties": {"a": {"items": {"pattern": "[ab]*a[ab]{250}c"}}}},
        {"a": [_ab(250)] * 60},
    ),
    "pattern, NFA, [ab]{100} on 16,000 characters": (
        {"properties": {"s": {"pattern": "[ab]*a[ab]{100}c"}}},
        {"s": _ab(16000)},
    ),
    "pattern, a 2,000-instruction program, 900 characters": (
        {"properties": {"s": {"pattern": "[ab]*a[ab]{995}c|[ab]*b[ab]{995}c"}}},
        {"s": _ab(900)},
    ),
    "pattern, a 4,000-instruction program": (
        {"properties": {"s": {"pattern": "[ab]*a[ab]{995}c|[ab]*b[ab]{995}c|[ab]*a[ab]{994}d|[ab]*b[ab]{994}d"}}},
        {"s": _ab(900)},
    ),
    "pattern on non-ASCII text": ({"properties": {"s": {"pattern": "^[a-zé]{1,400}$"}}}, {"s": "é" * 2600}),
    "required, 1,000 names × objects": ({"items": {"required": [f"n{index}" for index in range(1000)]}, "type": "array"}, [{}] * 5000),
    "enum on a 15 KB string × 300": ({"anyOf": [{"enum": [f"v{index}"]} for index in range(300)]}, "x" * 15000),
    "unevaluatedItems + contains × 8,000": ({"properties": {"a": {"contains": True, "unevaluatedItems": False}}}, {"a": [0] * 8000}),
    "unevaluatedItems + items × 3,000": ({"properties": {"a": {"items": True, "unevaluatedItems": False}}}, {"a": [0] * 3000}),
    "unevaluatedProperties + allOf × 1,600 keys": (
        {"allOf": [{"properties": {f"k{index:03}": True for index in range(50)}}] * 10, "additionalProperties": True, "unevaluatedProperties": False},
        keyed(1600),
    ),
    "dependentRequired, long lists": (
        {"properties": {"a": {"items": {"dependentRequired": {"k": [f"n{index}" for index in range(1000)]}}}}},
        {"a": [{"k": 1}] * 1600},
    ),
    "nested items of items": (
        {"type": "object", "additionalProperties": {"items": {"items": {"type": "integer"}}}},
        {"a": [[0] * 40] * 190},
    ),
    "$schema at the root, $ref # recursion, (a+)+$": (
        {"$schema": "https://json-schema.org/draft/2020-12/schema", "properties": {"a": {"$ref": "#"}, "s": {"pattern": "^(a+)+$"}}},
        {"a": {"s": "a" * 22 + "!"}},
    ),
}


def run_case(name: str, schema: dict, value, repeat: int) -> dict:
    value = json.loads(json.dumps(value))  # objects of their own, as a parsed body has
    body_bytes = len(json.dumps(value, separators=(",", ":")).encode())
    assert body_bytes <= MAX_BODY, (name, body_bytes)
    row = {"case": name, "body_bytes": body_bytes}
    try:
        client_schema.validate_client_schema(schema)
    except InvalidRequest as refused:
        refusal = "refused: " + refused.fields["custom_fields_schema"][0][:70]
        return {**row, "registration": refusal, "outcome": "–", "ms_p50": 0, "ms_max": 0, "units": None}
    times, outcome, spent = [], "", None
    for _ in range(repeat):
        started = time.process_time()
        try:
            errors = client_schema.schema_errors(schema, value)
            outcome = f"{len(errors)} errors" if errors else "valid"
        except client_schema.SchemaTooCostly:
            outcome = "too costly (400)"
        times.append(time.process_time() - started)
        spent = _spent()
        if times[-1] > 1.0:
            break
    return {**row, "outcome": outcome, "ms_p50": 1000 * statistics.median(times), "ms_max": 1000 * max(times), "units": spent}


def _spent():
    try:
        from tenants.schema_cost import spent
    except ImportError:  # the code before the cost model
        return None
    return spent()


def table(rows: list[dict]) -> str:
    lines = ["| case | registration | outcome | CPU ms p50 (max) | units | µs/unit |", "|---|---|---|---|---|---|"]
    for row in rows:
        per_unit = f"{1000 * row['ms_p50'] / row['units']:.2f}" if row["units"] else "–"
        units = f"{row['units']:,}" if row["units"] is not None else "–"
        lines.append(
            f"| {row['case']} | {row.get('registration', 'accepted')} | {row['outcome']} | "
            f"{row['ms_p50']:.1f} ({row['ms_max']:.1f}) | {units} | {per_unit} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--case", default="", help="only cases whose name contains this")
    parser.add_argument("--json", action="store_true", help="rows as JSON instead of a table")
    args = parser.parse_args()
    # The cases' own values stay out of the collector's walks, which would otherwise land in
    # whichever case allocates when they are due (a worker's heap is frozen by nothing, but is
    # not 16 KB values by the dozen).
    gc.collect()
    gc.freeze()
    rows = [run_case(name, schema, value, args.repeat) for name, (schema, value) in CASES.items() if args.case in name]
    print(json.dumps(rows, indent=1) if args.json else table(rows))
    budget = getattr(client_schema, "EVALUATION_BUDGET", None)
    if budget and not args.json:
        worst = max(rows, key=lambda row: row["ms_max"])
        print(f"\nbudget {budget:,} units; slowest case {worst['case']!r}: {worst['ms_max']:.1f} ms")


if __name__ == "__main__":
    main()
