"""POST /api/v1/<client_id>/login (docs/api.md §3): credentials, no enumeration, disabled accounts."""

import pytest

from accounts.flows import passwords
from tests.accounts.conftest import PASSWORD, call, claims_of, sign_up

pytestmark = pytest.mark.django_db(transaction=True)

LOGIN_BODY_KEYS = {"user_id", "access_token", "refresh_token", "token_type", "expires_in"}


def deactivate(user) -> None:
    # Straight to the row: the rule under test is login's, not user_update's.
    type(user.row()).objects.filter(pk=user.user_id).update(is_active=False)


def test_login_answers_200_with_the_user_id_and_a_new_token_pair(user):
    """Right email and password: the user's id and a token pair of a new family."""
    response = call(user.tenant, "login", {"email": user.email, "password": user.password})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == LOGIN_BODY_KEYS
    assert body["user_id"] == user.user_id
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 15 * 60
    assert claims_of(body["access_token"])["sub"] == user.user_id
    assert body["refresh_token"] != user.refresh_token


def test_login_finds_the_user_whatever_the_case_and_spaces_of_the_email(user):
    """The email is normalised before lookup, as it was before storage."""
    response = call(user.tenant, "login", {"email": "  ADA@Example.com ", "password": user.password})
    assert response.status_code == 200
    assert response.json()["user_id"] == user.user_id


def test_wrong_password_and_unknown_email_answer_exactly_the_same(user):
    """No enumeration: status, body and authentication header are identical."""
    wrong_password = call(user.tenant, "login", {"email": user.email, "password": "Not-the-password-1"})
    unknown_email = call(user.tenant, "login", {"email": "nobody@example.com", "password": "Not-the-password-1"})
    assert wrong_password.status_code == unknown_email.status_code == 401
    assert wrong_password.json() == unknown_email.json()
    assert wrong_password.json()["error"] == "invalid_credentials"
    assert wrong_password["WWW-Authenticate"] == unknown_email["WWW-Authenticate"]


@pytest.mark.parametrize("email", ["ada@example.com", "nobody@example.com"], ids=["known-email", "unknown-email"])
def test_every_failed_login_runs_exactly_one_password_check(user, counting, email):
    """An unknown email costs one bcrypt check too (against a dummy hash of the same hasher)."""
    checks = counting(passwords, "check_password")
    response = call(user.tenant, "login", {"email": email, "password": "Not-the-password-1"})
    assert response.status_code == 401
    assert len(checks) == 1
    assert checks[0][0] == "Not-the-password-1"


def test_the_unknown_email_check_uses_the_configured_hasher_and_rounds(user, counting, settings):
    """The dummy hash is bcrypt_sha256 at AUTHSVC_BCRYPT_ROUNDS, so it costs what a real check costs."""
    settings.AUTHSVC_BCRYPT_ROUNDS = 5
    checks = counting(passwords, "check_password")
    call(user.tenant, "login", {"email": "nobody@example.com", "password": "Not-the-password-1"})
    (_, encoded), = [call_args[:2] for call_args in checks]
    assert encoded.startswith("bcrypt_sha256$$2b$05$")


def test_a_disabled_user_with_the_right_password_answers_403_account_disabled(user):
    """Only someone who knows the password learns that the account is disabled."""
    deactivate(user)
    response = call(user.tenant, "login", {"email": user.email, "password": user.password})
    assert response.status_code == 403
    assert response.json()["error"] == "account_disabled"


def test_a_disabled_user_with_a_wrong_password_answers_401_invalid_credentials(user):
    """A wrong password says nothing about the account's state."""
    deactivate(user)
    response = call(user.tenant, "login", {"email": user.email, "password": "Not-the-password-1"})
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_credentials"


def test_passwords_longer_than_72_bytes_are_not_truncated(tenant):
    """bcrypt alone reads 72 bytes; two passwords sharing their first 80 characters must still differ."""
    common_start = "Long-shared-prefix-" * 5  # 95 characters
    assert len(common_start) >= 80
    user = sign_up(tenant, "ada@example.com", common_start + "-first")
    response = call(tenant, "login", {"email": user.email, "password": common_start + "-second"})
    assert response.status_code == 401
    assert call(tenant, "login", {"email": user.email, "password": common_start + "-first"}).status_code == 200


def test_a_password_is_compared_exactly_without_trimming(user):
    """Spaces around a password are part of it."""
    response = call(user.tenant, "login", {"email": user.email, "password": f" {user.password} "})
    assert response.status_code == 401


def test_login_with_a_5kb_password_answers_400_without_hashing(user, counting):
    """A huge password is refused by its length before any bcrypt work."""
    checks = counting(passwords, "check_password")
    response = call(user.tenant, "login", {"email": user.email, "password": "Aa1!" * 1280})
    assert response.status_code == 400
    assert "password" in response.json()["fields"]
    assert checks == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"password": PASSWORD}, "email"),
        ({"email": "ada@example.com"}, "password"),
        ({"email": 42, "password": PASSWORD}, "email"),
        ({"email": "ada@example.com", "password": {"p": 1}}, "password"),
        ({"email": "ada@example.com", "password": "pass\x00word-long"}, "password"),
    ],
    ids=["missing-email", "missing-password", "number-as-email", "object-as-password", "nul-in-password"],
)
def test_login_with_a_missing_or_ill_typed_field_answers_400(user, body, field):
    """Bad input is a 400 naming the field, not a failed login."""
    response = call(user.tenant, "login", body)
    assert response.status_code == 400
    assert field in response.json()["fields"]
