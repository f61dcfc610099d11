"""Property-based fuzzing of the whole API from its own OpenAPI schema (schemathesis).

Every generated request goes through the real WSGI stack with a real client's key, and every
check schemathesis has judges the answer (`call_and_validate` with no `checks` runs them all,
as `st run --checks all` does): no 5xx; status codes, content types, headers and bodies as the
schema promises (the error envelope included); requests the schema forbids refused, requests
it allows accepted; a missing key answered 401; undeclared methods answered 405 with `Allow`.
"""

import json

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from schemathesis.core.parameters import ParameterLocation

from authsvc.wsgi import application
from tests.stores import STORE

# A client's mail settings: URLs a browser opens as written, a sender name under a client name's rules, an
# address, texts whose placeholders must be ours (tenants/client_settings.py); PATCH also takes smtp_url (tenants/smtp.py).
MAIL_SETTINGS = {"verify_email_url", "reset_password_url", "mail_sender_name", "mail_reply_to", "mail_templates"}
# A relying party id must be a registrable domain (the Public Suffix List) and origins as a browser writes them.
PASSKEY_SETTINGS = {"passkey_rp_id", "passkey_origins"}
# Fields the API checks beyond anything a JSON Schema can say: email-validator's rules, opaque
# cursors and signed tokens, the password policy, each client's own custom_fields schema, what a
# client's schema must be to be accepted, a client name free of addresses and markup, its mail settings. A value
# the schema allows may still be refused with 400 naming one of these; a 400 naming anything
# else for schema-valid data is a difference between the schema and the API, and fails.
CHECKED_BEYOND_THE_SCHEMA = {
    "POST /api/v1/clients/register": {"client_name", "custom_fields_schema", *MAIL_SETTINGS, *PASSKEY_SETTINGS},
    "PATCH /api/v1/{client_id}/": {"client_name", "custom_fields_schema", *MAIL_SETTINGS, *PASSKEY_SETTINGS, "smtp_url"},
    "POST /api/v1/{client_id}/signup": {"email", "password", "custom_fields"},
    "POST /api/v1/{client_id}/login": {"email"},
    "POST /api/v1/{client_id}/email/resend": {"email"},
    "POST /api/v1/{client_id}/email/verify": {"token"},
    "POST /api/v1/{client_id}/password/forgot": {"email"},
    "POST /api/v1/{client_id}/password/reset": {"token", "new_password"},
    "GET /api/v1/{client_id}/users": {"email", "cursor"},
    "PATCH /api/v1/{client_id}/users/{user_id}": {"custom_fields", "email"},
    "POST /api/v1/{client_id}/users/{user_id}/password": {"new_password"},
    "GET /api/v1/{client_id}/audit": {"cursor"},
    # Where a webhook may send (delivery.safe_http: https, public addresses) is no JSON Schema,
    # nor is a description of printable characters only.
    "POST /api/v1/{client_id}/webhooks": {"url", "description"},
    "GET /api/v1/{client_id}/webhooks/{webhook_id}/deliveries": {"cursor"},
    # Second factors: mfa_tokens and challenges are opaque and single-use, codes are checked against the
    # user's secret, a proof is a code or a passkey credential but not both, and a credential is
    # WebAuthn's own JSON, checked by py_webauthn (docs/api.md §3b).
    "POST /api/v1/{client_id}/login/mfa": {"mfa_token", "code", "passkey_credential"},
    "POST /api/v1/{client_id}/login/mfa/passkey/options": {"mfa_token"},
    "POST /api/v1/{client_id}/login/mfa/totp": {"mfa_token"},
    "POST /api/v1/{client_id}/login/mfa/totp/confirm": {"mfa_token", "code"},
    "POST /api/v1/{client_id}/login/passkey": {"challenge_id", "credential"},
    "POST /api/v1/{client_id}/login/passkey/options": {"email"},
    "POST /api/v1/{client_id}/users/{user_id}/mfa/totp/confirm": {"code"},
    "POST /api/v1/{client_id}/users/{user_id}/passkeys": {"credential", "name"},
}

# positive_data_acceptance takes 400 for schema-valid data; refused_only_beyond_the_schema
# (below) then holds every such 400 to the table above. An import body's schema is that of one
# line, and a line the schema refuses is reported invalid in a 200 (docs/api.md §11), not refused
# with the request: negative data is not a 4xx there.
CONFIG = SchemathesisConfig.from_dict(
    {
        "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "3xx", "400", "401", "403", "404", "409", "429", "5xx"]}},
        "operations": [
            {"include-path": "/api/v1/{client_id}/users/import", "checks": {"negative_data_rejection": {"enabled": False}}},
        ],
    }
)


@schemathesis.serializer("application/x-ndjson")
def ndjson_lines(ctx, value) -> bytes:
    """An import body: the generated object as one NDJSON line (each item of a generated array, a line)."""
    return b"".join(json.dumps(item).encode() + b"\n" for item in (value if isinstance(value, list) else [value]))

# Loaded once at collection, through the WSGI app itself (the schema view touches no database).
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application, config=CONFIG)

EXAMPLES = 12 if STORE == "sqlite" else 5


def refused_only_beyond_the_schema(ctx, response, case) -> None:
    """A 400 for schema-valid data names only fields checked beyond the schema."""
    if case.meta is None or not case.meta.generation.mode.is_positive or response.status_code != 400:
        return
    named = set(response.json().get("fields") or {})
    allowed = CHECKED_BEYOND_THE_SCHEMA.get(case.operation.label, set())
    if not named or not named <= allowed:
        raise AssertionError(f"Schema-valid data refused for {sorted(named - allowed) or 'no named field'}: {response.text}")


@pytest.fixture
def fuzz_tenant(transactional_db, sealing_key):
    from tests.conftest import make_tenant

    tenant = make_tenant("Fuzz target")
    limits = ("access_key", "login_email", "login_ip", "signup_ip", "mail_email", "transfer_client")
    tenant.client.rate_limits = {name: "100000/m" for name in limits}
    tenant.client.save(update_fields=["rate_limits"])
    return tenant


def aim_at(case, tenant) -> None:
    """Send the case to the fuzz tenant with its key, except where the case is invalid on
    purpose: a malformed path or a missing or malformed key must reach the API as generated."""
    meta = case.meta
    if "client_id" in (case.path_parameters or {}) and not meta.is_negative_at(ParameterLocation.PATH):
        case.path_parameters["client_id"] = tenant.client_id
    if "Authorization" in (case.headers or {}) and not meta.is_negative_at(ParameterLocation.HEADER):
        case.headers["Authorization"] = f"Bearer {tenant.access_key}"


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_api_never_fails_and_keeps_its_schema(case, fuzz_tenant):
    """Generated requests never get a 5xx, and every answer is the one the schema promises."""
    aim_at(case, fuzz_tenant)
    case.call_and_validate(additional_checks=[refused_only_beyond_the_schema])
