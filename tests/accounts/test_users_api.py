"""The user-management API: `GET users`, `GET/PATCH/DELETE users/<user_id>` (docs/api.md §3)."""

import base64
import uuid

import pytest

from accounts.models import RefreshToken
from tests.accounts.conftest import PASSWORD, call, log_in, sign_up
from tests.audit.conftest import only_record_written_by
from tests.conftest import make_tenant

pytestmark = pytest.mark.django_db(transaction=True)

EMAILS = ["ada@example.com", "grace@example.com", "alan@example.com", "edsger@example.com", "barbara@example.com"]
PLAN_SCHEMA = {
    "type": "object",
    "properties": {"plan": {"enum": ["free", "pro"]}},
    "required": ["plan"],
    "additionalProperties": False,
}


def nested(depth: int) -> dict:
    """A JSON object nested `depth` levels deep ({"k": {"k": ... 1}})."""
    value: object = 1
    for _ in range(depth):
        value = {"k": value}
    return value


def b64(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def listed(tenant, **query) -> tuple[int, dict]:
    response = call(tenant, "users", method="GET", QUERY_STRING="&".join(f"{k}={v}" for k, v in query.items()))
    return response.status_code, response.json()


def get_user(user):
    return call(user.tenant, f"users/{user.user_id}", method="GET")


def patch_user(user, body):
    return call(user.tenant, f"users/{user.user_id}", body, method="PATCH")


def refresh_status(user) -> int:
    return call(user.tenant, "token/refresh", {"refresh_token": user.refresh_token}).status_code


def introspect(user) -> dict:
    return call(user.tenant, "token/verify", {"token": user.access_token}).json()


@pytest.fixture
def users(tenant):
    """Five users of `tenant`, in sign-up order."""
    return [sign_up(tenant, email) for email in EMAILS]


# --- GET users ---------------------------------------------------------------------------


def test_list_returns_every_user_oldest_first_without_secrets(tenant, users):
    """One page holds every user in sign-up order, with the documented fields and no password hash."""
    status, body = listed(tenant)
    assert status == 200
    assert [row["email"] for row in body["results"]] == EMAILS
    assert body["next"] is None
    assert set(body["results"][0]) == {
        "user_id", "email", "email_verified", "is_active", "custom_fields", "mfa", "created_at", "updated_at"
    }
    assert body["results"][0]["mfa"] == {"totp": False, "passkeys": 0, "recovery_codes_left": 0}


def test_list_never_shows_another_clients_users(tenant, other_tenant, users):
    """Each client lists only its own collection."""
    sign_up(other_tenant, "ada@example.com")
    status, body = listed(other_tenant)
    assert status == 200
    assert [row["email"] for row in body["results"]] == ["ada@example.com"]


@pytest.mark.parametrize("spelling", ["GRACE@Example.COM", "%20Grace@example.com%20"])
def test_email_filter_is_normalised_before_matching(tenant, users, spelling):
    """The filter trims and lower-cases the email, then matches it whole."""
    status, body = listed(tenant, email=spelling)
    assert status == 200
    assert [row["email"] for row in body["results"]] == ["grace@example.com"]


def test_email_filter_matches_whole_emails_only(tenant, users):
    """A fragment of an email matches nothing."""
    assert listed(tenant, email="grace")[1]["results"] == []


def test_cursor_pagination_walks_every_user_exactly_once(tenant, users):
    """Following `next` with a limit gives full pages, then the rest, then no further cursor."""
    pages, cursor = [], None
    while True:
        query = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        status, body = listed(tenant, **query)
        assert status == 200
        pages.append([row["email"] for row in body["results"]])
        cursor = body["next"]
        if cursor is None:
            break
    assert [len(page) for page in pages] == [2, 2, 1]
    assert [email for page in pages for email in page] == EMAILS


@pytest.mark.parametrize(
    "cursor",
    [
        pytest.param("not-a-cursor", id="not-base64-json"),
        pytest.param(b64('{"a": 1}'), id="json-object"),
        pytest.param(b64('["2024-01-01T00:00:00+00:00", "not-a-uuid"]'), id="bad-user-id"),
    ],
)
def test_invalid_cursor_is_a_400(tenant, cursor):
    """A cursor that is not one the service issued is refused with fields.cursor."""
    status, body = listed(tenant, cursor=cursor)
    assert status == 400
    assert body["error"] == "invalid_request"
    assert "cursor" in body["fields"]


@pytest.mark.parametrize("limit", ["0", "201", "ten"])
def test_limit_out_of_range_is_a_400(tenant, limit):
    """limit must be an integer from 1 to 200."""
    status, body = listed(tenant, limit=limit)
    assert status == 400
    assert body["error"] == "invalid_request"
    assert "limit" in body["fields"]


@pytest.mark.parametrize("parameter", ["email", "cursor", "limit"])
def test_an_empty_query_parameter_is_a_400_not_absent(tenant, users, parameter):
    """`?email=` is malformed (the schema says minLength 1), not a filter left out: no full list."""
    status, body = listed(tenant, **{parameter: ""})
    assert status == 400, body
    assert body["error"] == "invalid_request"
    assert set(body["fields"]) == {parameter}


@pytest.mark.parametrize("limit", ["1", "200"])
def test_limit_bounds_are_accepted(tenant, users, limit):
    """The bounds of the limit are valid and cap the page."""
    status, body = listed(tenant, limit=limit)
    assert status == 200
    assert len(body["results"]) == min(int(limit), len(EMAILS))


# --- GET users/<id> ------------------------------------------------------------------------


def test_get_user_returns_its_fields(user):
    """A user of this client is returned with its stored fields."""
    response = get_user(user)
    assert response.status_code == 200
    body = response.json()
    assert (body["user_id"], body["email"], body["is_active"], body["email_verified"]) == (
        user.user_id, user.email, True, False,
    )
    assert "password_hash" not in body


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
def test_unknown_user_is_a_404_not_found(tenant, method):
    """A well-formed id of no user of this client answers 404 not_found."""
    response = call(tenant, f"users/{uuid.uuid4()}", {"is_active": False} if method == "PATCH" else None, method=method)
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_malformed_user_id_is_a_json_404(tenant):
    """A path id that is not a UUID gets the JSON envelope, never an HTML page."""
    response = call(tenant, "users/not-a-uuid", method="GET")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"] == "not_found"


# --- PATCH custom_fields -------------------------------------------------------------------


def test_patch_custom_fields_replaces_the_whole_object(tenant):
    """custom_fields is replaced, not merged, and the change is stored."""
    user = sign_up(tenant, custom_fields={"plan": "free", "team": "blue"})
    response = patch_user(user, {"custom_fields": {"seats": 3}})
    assert response.status_code == 200
    assert response.json()["custom_fields"] == {"seats": 3}
    assert get_user(user).json()["custom_fields"] == {"seats": 3}


def test_patch_custom_fields_is_validated_against_the_clients_schema():
    """A value the client's JSON Schema refuses is a 400 with fields.custom_fields; nothing changes."""
    strict = make_tenant("Strict", custom_fields_schema=PLAN_SCHEMA)
    user = sign_up(strict, custom_fields={"plan": "free"})
    response = patch_user(user, {"custom_fields": {"plan": "gold"}})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert "plan" in " ".join(response.json()["fields"]["custom_fields"])
    assert get_user(user).json()["custom_fields"] == {"plan": "free"}
    assert patch_user(user, {"custom_fields": {"plan": "pro"}}).status_code == 200


@pytest.mark.parametrize(
    "custom_fields",
    [
        pytest.param({"blob": "x" * (16 * 1024)}, id="over-16KB"),
        pytest.param(nested(6), id="depth-6"),
        pytest.param([1, 2], id="list"),
        pytest.param("plan=pro", id="string"),
        pytest.param(None, id="null"),
    ],
)
def test_patch_refuses_custom_fields_beyond_the_limits(user, custom_fields):
    """Too large, too deep or not an object: 400 with fields.custom_fields, and nothing stored."""
    response = patch_user(user, {"custom_fields": custom_fields})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert "custom_fields" in response.json()["fields"]
    assert get_user(user).json()["custom_fields"] == {}


@pytest.mark.parametrize(
    "custom_fields",
    [
        # {"blob":"..."} is 11 bytes of JSON around the string: exactly 16 KB in all.
        pytest.param({"blob": "x" * (16 * 1024 - 11)}, id="exactly-16KB"),
        pytest.param(nested(5), id="depth-5"),
    ],
)
def test_patch_accepts_custom_fields_at_the_limits(user, custom_fields):
    """The limits are inclusive: 16 KB and depth 5 are stored."""
    response = patch_user(user, {"custom_fields": custom_fields})
    assert response.status_code == 200
    assert get_user(user).json()["custom_fields"] == custom_fields


# --- PATCH is_active -----------------------------------------------------------------------


def test_deactivating_a_user_stops_login_refresh_and_verification(user):
    """is_active false: login 403 account_disabled, refresh tokens refused, access token inactive."""
    second_session = log_in(user)
    response = patch_user(user, {"is_active": False})
    assert response.status_code == 200
    assert response.json()["is_active"] is False
    login = call(user.tenant, "login", {"email": user.email, "password": user.password})
    assert (login.status_code, login.json()["error"]) == (403, "account_disabled")
    assert refresh_status(user) == 401
    assert refresh_status(second_session) == 401
    assert introspect(user) == {"active": False}
    assert not RefreshToken.objects.filter(user_id=user.user_id, revoked_at__isnull=True).exists()


def test_patch_refuses_a_non_boolean_is_active(user):
    """is_active must be a JSON boolean; "false" is not one."""
    response = patch_user(user, {"is_active": "false"})
    assert response.status_code == 400
    assert "is_active" in response.json()["fields"]
    assert get_user(user).json()["is_active"] is True


@pytest.mark.parametrize(
    ("body", "refused"),
    [
        ({"created_at": "2020-01-01T00:00:00Z"}, {"created_at": "read-only"}),
        ({"user_id": str(uuid.uuid4()), "is_active": False}, {"user_id": "read-only"}),
        ({"password": "Another-horse-battery-7"}, {"password": "read-only"}),
        ({"nickname": "ada"}, {"nickname": "Unknown"}),
        ({"is_active": "no", "colour": "red"}, {"is_active": "boolean", "colour": "Unknown"}),
    ],
)
def test_patch_refuses_unknown_and_read_only_fields_naming_them(user, body, refused):
    """A key PATCH cannot set is a 400 naming it (with any other refused field), and nothing changes."""
    before = get_user(user).json()
    response = patch_user(user, body)
    assert response.status_code == 400
    fields = response.json()["fields"]
    assert set(fields) == set(refused)
    for name, words in refused.items():
        assert words in fields[name][0]
    assert get_user(user).json() == before


@pytest.fixture
def unverified(transactional_db):
    """(tenant requiring verification, id of its signed-up, still unverified user)."""
    verifying = make_tenant("Verify Co", require_email_verification=True)
    response = call(verifying, "signup", {"email": "ada@example.com", "password": PASSWORD})
    assert response.json()["email_verified"] is False
    return verifying, response.json()["user_id"]


def test_patch_email_verified_true_marks_the_email_verified_and_is_audited(unverified):
    """`email_verified: true` verifies the address: login works, one user_update record names the field."""
    verifying, user_id = unverified
    login = {"email": "ada@example.com", "password": PASSWORD}
    assert call(verifying, "login", login).json()["error"] == "email_not_verified"

    response, record = only_record_written_by(lambda: call(verifying, f"users/{user_id}", {"email_verified": True}, method="PATCH"))

    assert (response.status_code, response.json()["email_verified"]) == (200, True)
    assert (record.action, record.status, record.metadata["fields"]) == ("user_update", "success", ["email_verified"])
    assert call(verifying, "login", login).status_code == 200


def test_patch_email_verified_false_is_refused(unverified):
    """A verified email cannot be marked unverified: 400 naming email_verified, nothing changes."""
    verifying, user_id = unverified
    assert call(verifying, f"users/{user_id}", {"email_verified": True}, method="PATCH").status_code == 200
    response = call(verifying, f"users/{user_id}", {"email_verified": False}, method="PATCH")
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["email_verified"]
    assert call(verifying, f"users/{user_id}", method="GET").json()["email_verified"] is True


# --- DELETE --------------------------------------------------------------------------------


def test_delete_removes_the_user_and_revokes_its_tokens(user):
    """204; the user is gone from GET and the list, its refresh token is refused, its access token inactive."""
    response = call(user.tenant, f"users/{user.user_id}", method="DELETE")
    assert response.status_code == 204
    assert get_user(user).status_code == 404
    assert listed(user.tenant)[1]["results"] == []
    assert refresh_status(user) == 401
    assert introspect(user) == {"active": False}


# --- cross-tenant --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "users", None),
        ("GET", "users/{user_id}", None),
        ("PATCH", "users/{user_id}", {"is_active": False, "custom_fields": {"owned": True}}),
        ("DELETE", "users/{user_id}", None),
    ],
)
def test_another_clients_key_is_refused_and_changes_nothing(user, other_tenant, method, path, body):
    """Client B's key on client A's user endpoints: 403 forbidden, and A's user is untouched."""
    before = get_user(user).json()
    response = call(user.tenant, path.format(user_id=user.user_id), body, method=method, **other_tenant.auth)
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"
    assert get_user(user).json() == before
    assert refresh_status(user) == 200


def test_deleting_a_user_needs_an_access_key(user):
    """Without a key: 401 unauthorized, and the user is still there."""
    response = call(user.tenant, f"users/{user.user_id}", method="DELETE", HTTP_AUTHORIZATION="")
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"
    assert get_user(user).status_code == 200
