"""POST /api/v1/<client_id>/users/import: NDJSON in, a report out (created, skipped as duplicate,
invalid with line numbers), idempotent, bounded in size, audited once."""

import bcrypt
import pytest

from audit.models import AuditLog
from tenants.user_models import user_model_for
from tests.accounts.conftest import PASSWORD, call, import_users, ndjson
from tests.conftest import make_tenant

pytestmark = pytest.mark.django_db(transaction=True)

HASH = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode()
SCHEMA = {"type": "object", "properties": {"plan": {"enum": ["free", "pro"]}}, "required": ["plan"]}


def users(tenant):
    return user_model_for(tenant.client).objects


def test_reimporting_the_same_body_creates_nothing_twice(tenant):
    """The second run skips every line as a duplicate; the rows are the first run's, once each."""
    body = ndjson(*({"email": f"user{number}@example.com", "password_hash": HASH, "email_verified": True} for number in range(120)))
    first = import_users(tenant, body).json()
    rows = set(users(tenant).values_list("user_id", "email"))
    second = import_users(tenant, body).json()
    assert (first["created"], first["skipped_duplicates"]) == (120, 0)
    assert (second["created"], second["skipped_duplicates"]) == (0, 120)
    assert second["duplicate_lines"] == list(range(1, 121))
    assert set(users(tenant).values_list("user_id", "email")) == rows and len(rows) == 120
    assert users(tenant).filter(email_verified=True).count() == 120


@pytest.mark.store_independent
def test_the_fields_of_a_record_are_kept(tenant):
    """email (canonical), email_verified, is_active, custom_fields, created_at and user_id land in the row."""
    line = {
        "email": "  Ada@Bücher.Example ",
        "password_hash": HASH,
        "email_verified": True,
        "is_active": False,
        "custom_fields": {"plan": "pro"},
        "created_at": "2019-05-06T07:08:09.123+02:00",
        "user_id": "0f8fad5b-d9cb-469f-a165-70867728950e",
    }
    assert import_users(tenant, ndjson(line)).json()["created"] == 1
    row = users(tenant).get()
    assert row.email == "ada@bücher.example"
    assert (row.email_verified, row.is_active, row.custom_fields) == (True, False, {"plan": "pro"})
    assert row.created_at.isoformat() == "2019-05-06T05:08:09.123000+00:00"
    assert str(row.user_id) == "0f8fad5b-d9cb-469f-a165-70867728950e"


@pytest.mark.store_independent
def test_invalid_lines_are_reported_with_their_numbers_and_reasons():
    """Every refused line is named with why; the valid ones around them are created."""
    tenant = make_tenant("Schema Co", custom_fields_schema=SCHEMA)
    body = ndjson(
        {"email": "ok1@example.com", "password_hash": HASH, "custom_fields": {"plan": "pro"}},
        '{"email": "broken@example.com", ',
        {"password_hash": HASH, "custom_fields": {"plan": "pro"}},
        {"email": "both@example.com", "password": PASSWORD, "password_hash": HASH, "custom_fields": {"plan": "pro"}},
        {"email": "neither@example.com", "custom_fields": {"plan": "pro"}},
        {"email": "md5@example.com", "password_hash": "md5$x$0123", "custom_fields": {"plan": "pro"}},
        {"email": "schema@example.com", "password_hash": HASH, "custom_fields": {"plan": "gold"}},
        {"email": "date@example.com", "password_hash": HASH, "custom_fields": {"plan": "pro"}, "created_at": "yesterday"},
        {"email": "future@example.com", "password_hash": HASH, "custom_fields": {"plan": "pro"}, "created_at": "2999-01-01T00:00:00Z"},
        {"email": "key@example.com", "password_hash": HASH, "custom_fields": {"plan": "pro"}, "role": "admin"},
        {"email": "not an address", "password_hash": HASH, "custom_fields": {"plan": "pro"}},
        "[1, 2]",
        {"email": "weak@example.com", "password": "password", "custom_fields": {"plan": "pro"}},
        {"email": "verified@example.com", "password_hash": HASH, "custom_fields": {"plan": "pro"}, "email_verified": "yes"},
        {"email": "ok2@example.com", "password_hash": HASH, "custom_fields": {"plan": "free"}},
    )
    report = import_users(tenant, body).json()
    reasons = {item["line"]: item["reason"] for item in report["invalid_lines"]}
    expected = {
        2: "Not valid JSON",
        3: "email is missing",
        4: "exactly one of password and password_hash",
        5: "exactly one of password and password_hash",
        6: "Unknown hash format",
        7: "does not match the client's schema",
        8: "created_at is not an ISO 8601",
        9: "between 1970 and now",
        10: "Unknown key(s): 'role'",
        11: "email is invalid",
        12: "Must be a JSON object",
        13: "This password is too common.",
        14: "email_verified must be true or false",
    }
    assert sorted(reasons) == sorted(expected)
    for line, fragment in expected.items():
        assert fragment in reasons[line], (line, reasons[line])
    assert (report["lines"], report["created"], report["invalid"], report["skipped_duplicates"]) == (15, 2, 13, 0)
    assert sorted(users(tenant).values_list("email", flat=True)) == ["ok1@example.com", "ok2@example.com"]


@pytest.mark.store_independent
def test_an_email_twice_in_the_body_or_already_a_user_is_skipped_as_a_duplicate(tenant):
    """Emails compare canonicalised, as at sign-up: `ADA@example.com` is ada@example.com."""
    call(tenant, "signup", {"email": "grace@example.com", "password": PASSWORD})
    body = ndjson(
        {"email": "ada@example.com", "password_hash": HASH},
        {"email": "ADA@Example.com ", "password_hash": HASH},
        "",
        {"email": "Grace@example.com", "password_hash": HASH},
    )
    report = import_users(tenant, body).json()
    assert (report["lines"], report["created"], report["skipped_duplicates"], report["duplicate_lines"]) == (3, 1, 2, [2, 4])


@pytest.mark.store_independent
def test_passwords_in_clear_are_checked_hashed_with_ours_and_bounded_per_request(tenant, settings):
    """A clear password becomes a bcrypt_sha256 hash; over the per-request bound, lines are invalid."""
    settings.AUTHSVC_IMPORT_MAX_CLEAR_PASSWORDS = 1
    body = ndjson({"email": "ada@example.com", "password": PASSWORD}, {"email": "bob@example.com", "password": PASSWORD})
    report = import_users(tenant, body).json()
    assert report["created"] == 1
    assert report["invalid_lines"][0]["line"] == 2 and "More than 1 passwords in clear" in report["invalid_lines"][0]["reason"]
    assert users(tenant).get().password_hash.startswith("bcrypt_sha256$")
    assert call(tenant, "login", {"email": "ada@example.com", "password": PASSWORD}).status_code == 200


@pytest.mark.store_independent
def test_the_report_never_echoes_a_password_or_a_hash(tenant):
    """Refusals name the rule, never the secret they refused."""
    body = ndjson({"email": "ada@example.com", "password": "password"}, {"email": "b@example.com", "password_hash": "$2b$99$" + "z" * 53})
    response = import_users(tenant, body)
    assert response.status_code == 200 and response.json()["invalid"] == 2
    assert '"password"' not in response.content.decode() and "zzzz" not in response.content.decode()


@pytest.mark.store_independent
def test_a_body_over_the_line_bound_is_refused_413_and_imports_nothing(tenant, settings):
    """More lines than AUTHSVC_IMPORT_MAX_LINES: 413 payload_too_large, nothing created."""
    settings.AUTHSVC_IMPORT_MAX_LINES = 3
    response = import_users(tenant, ndjson(*({"email": f"u{n}@example.com", "password_hash": HASH} for n in range(4))))
    assert response.status_code == 413
    assert response.json()["error"] == "payload_too_large" and "3 lines" in response.json()["detail"]
    assert users(tenant).count() == 0


@pytest.mark.store_independent
def test_the_import_takes_more_than_the_usual_body_limit_but_not_more_than_its_own(tenant):
    """A 100 KB body is imported (other endpoints refuse it); one over AUTHSVC_IMPORT_MAX_BYTES is refused unread."""
    lines = [{"email": f"user{n}@example.com", "password_hash": HASH} for n in range(1200)]
    body = ndjson(*lines)
    assert len(body) > 64 * 1024
    assert import_users(tenant, body).json()["created"] == 1200
    assert call(tenant, "signup", body.decode()).status_code == 413
    too_big = body * (5_000_001 // len(body) + 1)
    refused = import_users(tenant, too_big)
    assert refused.status_code == 413
    assert refused.json() == {"error": "payload_too_large", "detail": "The request body is over 5000000 bytes."}


@pytest.mark.store_independent
@pytest.mark.parametrize(("body", "content_type"), [(b"", "application/x-ndjson"), (b'{"email": "a@example.com"}', "application/json")])
def test_an_empty_body_or_another_content_type_is_a_400(tenant, body, content_type):
    """Nothing to import, or not NDJSON: 400 invalid_request saying what to send."""
    response = import_users(tenant, body, content_type=content_type)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


@pytest.mark.store_independent
def test_another_clients_key_cannot_import_into_a_client(tenant, other_tenant):
    """403 forbidden and nothing written; an email is a separate user in each client."""
    body = ndjson({"email": "ada@example.com", "password_hash": HASH})
    refused = import_users(tenant, body, HTTP_AUTHORIZATION=f"Bearer {other_tenant.access_key}")
    assert refused.status_code == 403
    assert users(tenant).count() == 0
    assert import_users(other_tenant, body).json()["created"] == 1
    assert import_users(tenant, body).json()["created"] == 1


@pytest.mark.store_independent
def test_an_import_is_audited_once_with_its_counts_and_no_address(tenant):
    """One `user_import` record: the counts and the password forms, never an email or a hash."""
    body = ndjson({"email": "ada@example.com", "password_hash": HASH}, {"email": "ada@example.com", "password_hash": HASH}, "nope")
    import_users(tenant, body)
    [record] = AuditLog.objects.filter(client_id=tenant.client.client_id, action="user_import")
    assert record.status == "success"
    assert record.metadata == {
        "source": "api", "completed": True, "lines": 3, "created": 1, "skipped_duplicates": 1, "invalid": 1, "formats": ["bcrypt"],
    }


def test_a_batch_that_meets_a_sign_up_made_meanwhile_keeps_the_others(tenant):
    """An email signed up between the duplicate check and the batch's write: that one is a duplicate,
    every other user of the batch is created once (also where a failed batch write is not undone)."""
    from accounts.flows.user_import import _insert

    model = user_model_for(tenant.client)
    call(tenant, "signup", {"email": "user2@example.com", "password": PASSWORD})
    batch = [model(email=f"user{number}@example.com", password_hash=f"bcrypt${HASH}") for number in range(5)]
    created, duplicates = _insert(model, batch)
    assert [user.email for user in duplicates] == ["user2@example.com"]
    assert sorted(user.email for user in created) == [f"user{number}@example.com" for number in (0, 1, 3, 4)]
    assert sorted(model.objects.values_list("email", flat=True)) == [f"user{number}@example.com" for number in range(5)]


@pytest.mark.store_independent
def test_imports_and_exports_share_the_clients_transfer_limit(tenant):
    """`transfer_client` counts both; over it, 429 rate_limited with Retry-After and nothing imported."""
    from rest_framework.test import APIClient

    tenant.client.rate_limits = {"transfer_client": "2/h"}
    tenant.client.save()
    body = ndjson({"email": "ada@example.com", "password_hash": HASH})
    assert import_users(tenant, body).status_code == 200
    assert APIClient().get(tenant.url("users/export"), **tenant.auth).status_code == 200
    refused = import_users(tenant, ndjson({"email": "bob@example.com", "password_hash": HASH}))
    assert refused.status_code == 429 and refused.json()["error"] == "rate_limited" and refused["Retry-After"].isdigit()
    assert list(users(tenant).values_list("email", flat=True)) == ["ada@example.com"]
