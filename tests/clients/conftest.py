"""Fixtures of the client endpoint tests: a PATCH of a client's settings with its own key (or another's)."""

import pytest

from tests.accounts.conftest import call
from tests.conftest import Tenant


def patch_settings(tenant: Tenant, body, *, key_of: Tenant | None = None):
    """PATCH /api/v1/{tenant}/ with `body`, with the tenant's own key unless `key_of` says whose."""
    auth = (key_of or tenant).auth
    return call(tenant, "", body, method="PATCH", **auth)


@pytest.fixture
def patch():
    return patch_settings
