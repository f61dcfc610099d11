"""Property-based fuzzing of the whole API from its own OpenAPI schema (schemathesis).

Every generated request goes through the real WSGI stack with a real client's key; the
checks are that nothing answers 5xx and that status codes, content types and bodies match
what the schema promises (including the error envelope).
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from authsvc.wsgi import application
from tests.stores import STORE

# Loaded once at collection, through the WSGI app itself (the schema view touches no database).
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = 12 if STORE == "sqlite" else 5


@pytest.fixture
def fuzz_tenant(transactional_db):
    from tests.conftest import make_tenant

    tenant = make_tenant("Fuzz target")
    tenant.client.rate_limits = {name: "100000/m" for name in ("access_key", "login_email", "login_ip", "signup_ip", "mail_email")}
    tenant.client.save(update_fields=["rate_limits"])
    return tenant


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_api_never_fails_and_keeps_its_schema(case, fuzz_tenant):
    """Generated requests with a valid key never get a 5xx, and every answer matches the schema."""
    if "client_id" in (case.path_parameters or {}):
        case.path_parameters["client_id"] = fuzz_tenant.client_id
    case.call_and_validate(headers={"Authorization": f"Bearer {fuzz_tenant.access_key}"}, checks=CHECKS)
