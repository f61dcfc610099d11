"""How deep a parsed JSON value nests, found without recursion: the value is hostile and may be
nested deeper than Python recurses (or than Django's own checks, which recurse, can walk)."""

from typing import Any


def deeper_than(value: Any, levels: int) -> bool:
    """Whether an object or array of `value` lies more than `levels` containers down (a bare
    object has depth 0: `deeper_than({}, 0)` is False, `deeper_than({"a": {}}, 0)` is True)."""
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > levels:
                return True
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return False
