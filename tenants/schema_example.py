"""The custom_fields a client's docs page shows in its quickstart, worked out when the schema is saved.

The page is public, so it must run none of the client's schema: checking a guessed example there
let anyone make the server validate the schema's own `examples` on every GET. The services and
the admin form store the example with the schema (`Client.custom_fields_example`); the page only
renders it.
"""

from typing import Any

from tenants.client_schema import schema_accepts

EXAMPLE_BY_TYPE = {"string": "example", "integer": 1, "number": 1.5, "boolean": True, "array": [], "object": {}, "null": None}


def schema_properties(schema: object) -> dict:
    properties = schema.get("properties") if isinstance(schema, dict) else None
    return properties if isinstance(properties, dict) else {}


def _example_value(spec: object) -> Any:
    if not isinstance(spec, dict):
        return "example"
    if "const" in spec:
        return spec["const"]
    if isinstance(spec.get("examples"), list) and spec["examples"]:
        return spec["examples"][0]
    if "default" in spec:
        return spec["default"]
    if isinstance(spec.get("enum"), list) and spec["enum"]:
        return spec["enum"][0]
    kind = spec.get("type")
    if isinstance(kind, list):
        kind = next((each for each in kind if each != "null"), "null")
    return EXAMPLE_BY_TYPE.get(kind, "example")


def custom_fields_example(schema: object) -> dict | None:
    """custom_fields the schema accepts, from its properties' examples, defaults or types; None
    when that simple guess does not pass it (or costs more than one validation may spend)."""
    properties = schema_properties(schema)
    if not properties:
        return None
    example = {name: _example_value(spec) for name, spec in properties.items()}
    return example if schema_accepts(schema, example) else None
