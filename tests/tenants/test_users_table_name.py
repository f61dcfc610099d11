"""A client's users table (or collection) is named in one place: `tenants.user_models.users_table_name`."""

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.store_independent

ROOT = Path(__file__).resolve().parents[2]
APPS = ("accounts", "audit", "authsvc", "clientapi", "clients", "core", "crypto", "delivery", "tenants")
THE_FUNCTION = ROOT / "tenants" / "user_models.py"
SPELLING = re.compile(r"""f["']users_\{""")


def spellings(path: Path) -> int:
    return len(SPELLING.findall(path.read_text()))


def test_only_users_table_name_spells_the_users_table_name():
    """No app module but tenants/user_models.py, and there only once, formats `users_<client_id hex>` itself."""
    # Migrations are left out: historical code may keep a copy of its own, on purpose.
    modules = [path for app in APPS for path in (ROOT / app).rglob("*.py") if "migrations" not in path.parts]

    assert {str(path.relative_to(ROOT)): spellings(path) for path in modules if path != THE_FUNCTION and spellings(path)} == {}
    assert spellings(THE_FUNCTION) == 1
