"""POST /api/v1/<client_id>/logout: revokes the token's family, idempotently."""

import secrets
import uuid

import pytest

from tests.accounts.conftest import call, log_in, old_format_refresh_token, token_rows

pytestmark = pytest.mark.django_db(transaction=True)


def logout(tenant, token):
    return call(tenant, "logout", {"refresh_token": token})


def refresh(tenant, token):
    return call(tenant, "token/refresh", {"refresh_token": token})


def test_logout_answers_204_and_the_refresh_token_stops_working(user):
    """After logout the refresh token is refused."""
    response = logout(user.tenant, user.refresh_token)
    assert response.status_code == 204
    assert response.content == b""
    refused = refresh(user.tenant, user.refresh_token)
    assert refused.status_code == 401
    assert refused.json()["error"] == "invalid_token"


def test_logout_with_a_spent_token_revokes_the_tokens_it_was_rotated_into(user):
    """The whole family goes: the current refresh token too, not only the presented one."""
    current = refresh(user.tenant, user.refresh_token).json()["refresh_token"]
    assert logout(user.tenant, user.refresh_token).status_code == 204
    assert refresh(user.tenant, current).status_code == 401
    assert all(row.revoked_at is not None for row in token_rows(user.tenant))


def test_logout_leaves_the_users_other_sessions_alone(user):
    """Only the family of the presented token is revoked."""
    other_session = log_in(user)
    assert logout(user.tenant, user.refresh_token).status_code == 204
    assert refresh(user.tenant, other_session.refresh_token).status_code == 200


def test_a_second_logout_also_answers_204(user):
    """Logout is idempotent."""
    assert logout(user.tenant, user.refresh_token).status_code == 204
    assert logout(user.tenant, user.refresh_token).status_code == 204


def test_logout_with_an_old_format_token_revokes_its_family(user):
    """A refresh token issued as a JWT before opaque ones still logs out, and then no longer refreshes."""
    old = old_format_refresh_token(user)
    assert logout(user.tenant, old).status_code == 204
    refused = refresh(user.tenant, old)
    assert refused.status_code == 401
    assert refused.json()["error"] == "invalid_token"


@pytest.mark.parametrize(
    "token",
    ["garbage", "a.b.c", f"rt_{uuid.uuid4().hex}.{secrets.token_urlsafe(32)}", "access"],
    ids=["garbage", "garbage-parts", "unknown-opaque", "access-token"],
)
def test_logout_with_something_that_is_not_a_refresh_token_answers_invalid_token(user, token):
    """Only a genuine refresh token of this client can log out."""
    response = logout(user.tenant, user.access_token if token == "access" else token)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"
    assert refresh(user.tenant, user.refresh_token).status_code == 200


def test_logout_without_a_token_answers_400(user):
    """The refresh_token field is required."""
    response = call(user.tenant, "logout", {})
    assert response.status_code == 400
    assert "refresh_token" in response.json()["fields"]
