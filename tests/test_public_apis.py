"""Libraries are used through their public APIs: no private (underscore) name of another package.

Read from the source (ast), ours and the tests': an import of an underscore name or module from
a package that is not ours, and an attribute or getattr of an underscore name that nothing of
ours defines (so it can only be a library's). Where a library offers no public hook, the use is
listed below with the reason, the version pinned in requirements.txt, and a test that fails
loudly when an upgrade changes what we rely on.
"""

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.store_independent  # reads source files only

ROOT = Path(__file__).resolve().parent.parent
OUR_PACKAGES = {
    "accounts", "audit", "authsvc", "bench", "clientapi", "core", "crypto", "delivery", "tenants", "tests", "webhooks",
    "authsvc_client", "shop",
}
SKIPPED_DIRS = {".venv", "var", ".git", "__pycache__"}

# Underscore names that their library documents as public API.
DOCUMENTED_UNDERSCORE_NAMES = {
    "_meta": "Django: the Model _meta API (docs/ref/models/meta)",
    "_state": "Django: Model._state.adding / .db (docs/ref/models/instances)",
    "_default_manager": "Django: Model._default_manager (docs/topics/db/managers)",
    "_base_manager": "Django: Model._base_manager (docs/topics/db/managers)",
    "_replace": "Python: namedtuple._replace (the underscore only avoids field-name clashes)",
    "_asdict": "Python: namedtuple._asdict (as above)",
    "_fields": "Python: namedtuple._fields (as above)",
}
# Private names used because the library has no public hook: name -> (reason, pinned version,
# the test that fails loudly on an upgrade). Read by name from a tuple (the scan cannot see them there).
UNAVOIDABLE_PRIVATE_NAMES: dict[str, tuple[str, str, str]] = {
    name: (
        "what csp_exempt marks a response with; django-csp has no public way to ask, and the policies "
        "built once (authsvc/content_security_policy.py) must leave such a response to django-csp",
        "django-csp==4.0",
        "tests/authsvc/test_prebuilt_policy.py",
    )
    for name in ("_csp_exempt", "_csp_exempt_ro")
}


def is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def sources() -> list[Path]:
    return sorted(p for p in ROOT.rglob("*.py") if not SKIPPED_DIRS & set(p.relative_to(ROOT).parts))


def trees() -> dict[Path, ast.Module]:
    return {path: ast.parse(path.read_text(), filename=str(path)) for path in sources()}


def private_imports(tree: ast.Module) -> list[tuple[int, str]]:
    """`from pkg import _x`, `from pkg._mod import x`, `import pkg._mod`, for packages not ours."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module.split(".")[0] not in OUR_PACKAGES:
            private_module = any(map(is_private, node.module.split(".")))
            found += [(node.lineno, f"from {node.module} import {alias.name}") for alias in node.names if private_module or is_private(alias.name)]
        elif isinstance(node, ast.Import):
            found += [
                (node.lineno, f"import {alias.name}")
                for alias in node.names
                if alias.name.split(".")[0] not in OUR_PACKAGES and any(map(is_private, alias.name.split(".")))
            ]
    return found


def defined_names(all_trees: dict[Path, ast.Module]) -> set[str]:
    """Every underscore name our code defines: functions, classes, assigned names and attributes."""
    names = set()
    for tree in all_trees.values():
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                names.add(node.attr)
            elif isinstance(node, ast.arg):
                names.add(node.arg)
    return {name for name in names if is_private(name)}


def underscore_accesses(tree: ast.Module) -> list[tuple[int, str]]:
    """`obj._x` and getattr/setattr/hasattr(obj, "_x")."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and is_private(node.attr):
            found.append((node.lineno, node.attr))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in {"getattr", "setattr", "hasattr", "delattr"}:
            name = node.args[1] if len(node.args) > 1 else None
            if isinstance(name, ast.Constant) and isinstance(name.value, str) and is_private(name.value):
                found.append((node.lineno, name.value))
    return found


def test_no_private_name_is_imported_from_another_package():
    """No `from <library> import _name` (or a private module of it) anywhere in our code or tests."""
    found = [f"{path.relative_to(ROOT)}:{line}: {text}" for path, tree in trees().items() for line, text in private_imports(tree)]
    found = [hit for hit in found if hit.rsplit(" ", 1)[-1] not in UNAVOIDABLE_PRIVATE_NAMES]
    assert found == [], "private imports from libraries (use a public API, or list it with its reason):\n" + "\n".join(found)


def test_no_private_attribute_of_a_library_is_read():
    """An underscore attribute we do not define ourselves is a library's private one, unless documented."""
    all_trees = trees()
    ours = defined_names(all_trees)
    allowed = ours | set(DOCUMENTED_UNDERSCORE_NAMES) | set(UNAVOIDABLE_PRIVATE_NAMES)
    found = [
        f"{path.relative_to(ROOT)}:{line}: .{name}"
        for path, tree in all_trees.items()
        for line, name in underscore_accesses(tree)
        if name not in allowed
    ]
    assert found == [], "private attributes of libraries (use a public API, or list it with its reason):\n" + "\n".join(found)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from django_ratelimit.core import EXPIRATION_FUDGE, _get_window", ["from django_ratelimit.core import _get_window"]),
        ("from rest_framework._private import x", ["from rest_framework._private import x"]),
        ("import redis._compat", ["import redis._compat"]),
        ("from core.rates import _x\nfrom __future__ import annotations\nfrom django.db import models", []),
    ],
    ids=["private-name", "private-module-from", "private-module-import", "ours-and-dunder"],
)
def test_the_scan_finds_what_it_looks_for(source, expected):
    """The check itself: private imports from libraries are found, ours and dunders are not."""
    assert [text for _, text in private_imports(ast.parse(source))] == expected
