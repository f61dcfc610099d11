"""POST /api/v1/<client_id>/signup (docs/api.md §3)."""

import pytest

from accounts.flows import signup
from tenants.user_models import user_model_for
from tests.accounts.conftest import PASSWORD, call, sign_up
from tests.conftest import make_tenant

pytestmark = pytest.mark.django_db(transaction=True)

SIGNUP_BODY_KEYS = {
    "user_id",
    "email",
    "email_verified",
    "custom_fields",
    "access_token",
    "refresh_token",
    "token_type",
    "expires_in",
}

PROFILE_SCHEMA = {
    "type": "object",
    "properties": {"plan": {"enum": ["free", "pro"]}, "seats": {"type": "integer", "minimum": 1}},
    "required": ["plan"],
    "additionalProperties": False,
}


def nested(depth: int) -> dict:
    value: dict = {"leaf": True}
    for _ in range(depth - 1):
        value = {"child": value}
    return value


def test_signup_answers_201_with_exactly_the_contract_fields(tenant):
    """The 201 body has the user and a token pair, and nothing else."""
    response = call(tenant, "signup", {"email": "ada@example.com", "password": PASSWORD, "custom_fields": {"plan": "pro"}})
    assert response.status_code == 201
    body = response.json()
    assert set(body) == SIGNUP_BODY_KEYS
    assert body["email"] == "ada@example.com"
    assert body["email_verified"] is False
    assert body["custom_fields"] == {"plan": "pro"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 15 * 60
    assert user_model_for(tenant.client.client_id).objects.filter(pk=body["user_id"]).exists()


def test_signup_stores_and_returns_the_email_trimmed_and_lower_cased(tenant):
    """'  Ada@Example.COM ' becomes 'ada@example.com' in the answer and in the store."""
    response = call(tenant, "signup", {"email": "  Ada@Example.COM ", "password": PASSWORD})
    assert response.status_code == 201
    assert response.json()["email"] == "ada@example.com"
    stored = user_model_for(tenant.client.client_id).objects.get(pk=response.json()["user_id"])
    assert stored.email == "ada@example.com"


@pytest.mark.parametrize("again", ["ada@example.com", "ADA@example.com", " Ada@EXAMPLE.com "])
def test_signup_with_a_taken_email_answers_409_whatever_its_case(tenant, again):
    """Emails are unique per client, compared case-insensitively."""
    sign_up(tenant, "ada@example.com")
    response = call(tenant, "signup", {"email": again, "password": PASSWORD})
    assert response.status_code == 409
    assert response.json()["error"] == "email_taken"
    assert user_model_for(tenant.client.client_id).objects.count() == 1


def test_the_same_email_may_sign_up_with_two_clients(tenant, other_tenant):
    """Each client has its own users: one email can exist in both."""
    first = sign_up(tenant, "ada@example.com")
    second = sign_up(other_tenant, "ada@example.com")
    assert first.user_id != second.user_id


@pytest.mark.parametrize(
    ("email", "password", "message"),
    [
        ("ada@example.com", "Xy7#qa", "This password is too short. It must contain at least 8 characters."),
        ("ada@example.com", "password123", "This password is too common."),
        ("ada@example.com", "83749261538204", "This password is entirely numeric."),
        ("quintessa.verbatim@example.com", "quintessa.verbatim", "The password is too similar to the email."),
    ],
    ids=["short", "common", "numeric", "similar-to-email"],
)
def test_signup_with_a_weak_password_answers_400_with_the_validator_message(tenant, email, password, message):
    """Django's password validators apply; their messages are under fields.password."""
    response = call(tenant, "signup", {"email": email, "password": password})
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_request"
    assert message in body["fields"]["password"]
    assert user_model_for(tenant.client.client_id).objects.count() == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"password": PASSWORD}, "email"),
        ({"email": "ada@example.com"}, "password"),
        ({"email": 12345, "password": PASSWORD}, "email"),
        ({"email": ["ada@example.com"], "password": PASSWORD}, "email"),
        ({"email": "ada@example.com", "password": {"value": PASSWORD}}, "password"),
        ({"email": "ada@example.com", "password": 1234567890123}, "password"),
        ({"email": "ada\x00@example.com", "password": PASSWORD}, "email"),
        ({"email": "ada@example.com", "password": PASSWORD + "\x00"}, "password"),
        ({"email": "not-an-email", "password": PASSWORD}, "email"),
        ({"email": "ada@example.com", "password": PASSWORD, "custom_fields": ["a", "list"]}, "custom_fields"),
        ({"email": "ada@example.com", "password": PASSWORD, "custom_fields": "text"}, "custom_fields"),
        ({"email": "ada@example.com", "password": PASSWORD, "custom_fields": None}, "custom_fields"),
    ],
    ids=[
        "missing-email",
        "missing-password",
        "number-as-email",
        "list-as-email",
        "object-as-password",
        "number-as-password",
        "nul-in-email",
        "nul-in-password",
        "malformed-email",
        "list-as-custom-fields",
        "string-as-custom-fields",
        "null-custom-fields",
    ],
)
def test_signup_with_a_missing_or_ill_typed_field_answers_400_naming_it(tenant, body, field):
    """Input is never coerced: the bad field is named in `fields`, and no user is created."""
    response = call(tenant, "signup", body)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert field in response.json()["fields"]
    assert user_model_for(tenant.client.client_id).objects.count() == 0


@pytest.mark.parametrize("payload", ["[1, 2]", '"text"', "{not json", ""], ids=["array", "string", "broken", "empty"])
def test_signup_with_a_body_that_is_not_a_json_object_answers_400(tenant, payload):
    """Whatever the body, the answer is the error envelope, never a 500."""
    response = call(tenant, "signup", payload)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_signup_with_a_5kb_password_answers_400_without_hashing(tenant, counting):
    """A huge password is refused by its length, before any bcrypt work."""
    hashed = counting(signup, "make_password")
    response = call(tenant, "signup", {"email": "ada@example.com", "password": "Aa1!" * 1280})
    assert response.status_code == 400
    assert "password" in response.json()["fields"]
    assert hashed == []


@pytest.mark.parametrize(
    ("custom_fields", "status"),
    [({"plan": "pro", "seats": 3}, 201), ({"plan": "free"}, 201), ({"plan": "gold"}, 400), ({"seats": 2}, 400), ({"plan": "pro", "extra": 1}, 400)],
    ids=["valid", "valid-minimal", "bad-enum", "missing-required", "unknown-property"],
)
def test_signup_validates_custom_fields_against_the_client_schema(transactional_db, custom_fields, status):
    """With a custom_fields_schema, only matching custom_fields are accepted (errors in fields.custom_fields)."""
    strict = make_tenant("Strict", custom_fields_schema=PROFILE_SCHEMA)
    response = call(strict, "signup", {"email": "ada@example.com", "password": PASSWORD, "custom_fields": custom_fields})
    assert response.status_code == status
    if status == 201:
        assert response.json()["custom_fields"] == custom_fields
    else:
        assert response.json()["fields"]["custom_fields"]


def test_signup_without_custom_fields_fails_a_schema_that_requires_some(transactional_db):
    """Omitted custom_fields are `{}`, which the client's schema still judges."""
    strict = make_tenant("Strict", custom_fields_schema=PROFILE_SCHEMA)
    response = call(strict, "signup", {"email": "ada@example.com", "password": PASSWORD})
    assert response.status_code == 400
    assert "custom_fields" in response.json()["fields"]


@pytest.mark.parametrize(
    ("custom_fields", "status"),
    [
        ({"bio": "x" * (15 * 1024)}, 201),
        ({"bio": "x" * (16 * 1024)}, 400),
        (nested(5), 201),
        (nested(6), 400),
        ({"list": [[[[[["too deep"]]]]]]}, 400),
    ],
    ids=["15kb", "over-16kb", "depth-5", "depth-6", "lists-count-as-depth"],
)
def test_signup_limits_custom_fields_to_16kb_and_depth_5(tenant, custom_fields, status):
    """custom_fields is at most 16 KB of JSON and 5 levels deep."""
    response = call(tenant, "signup", {"email": "ada@example.com", "password": PASSWORD, "custom_fields": custom_fields})
    assert response.status_code == status
    if status == 400:
        assert response.json()["fields"]["custom_fields"]
