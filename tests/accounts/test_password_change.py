"""`POST users/<user_id>/password`: a password changed with the current one (docs/api.md §3)."""

import uuid

import pytest
from django.contrib.auth.hashers import check_password

from tests.accounts.conftest import PASSWORD, call, log_in
from tests.audit.conftest import only_record_written_by

pytestmark = pytest.mark.django_db(transaction=True)

NEW_PASSWORD = "Another-horse-battery-7"


def change(user, body, tenant=None):
    return call(tenant or user.tenant, f"users/{user.user_id}/password", body)


def login_status(user, password: str) -> int:
    return call(user.tenant, "login", {"email": user.email, "password": password}).status_code


def refresh_status(user) -> int:
    return call(user.tenant, "token/refresh", {"refresh_token": user.refresh_token}).status_code


def test_change_sets_the_new_password_and_ends_every_session(user):
    """204; the new password logs in, the old one does not; every refresh token and earlier access token is dead."""
    second = log_in(user)

    response, record = only_record_written_by(
        lambda: change(user, {"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    )

    assert response.status_code == 204
    assert (record.action, record.status, str(record.user_id), record.metadata) == (
        "password_change", "success", user.user_id, {"revoked_tokens": 2}
    )
    assert [refresh_status(user), refresh_status(second)] == [401, 401]
    assert call(user.tenant, "token/verify", {"token": second.access_token}).json() == {"active": False}
    assert [login_status(user, PASSWORD), login_status(user, NEW_PASSWORD)] == [401, 200]


def test_a_wrong_current_password_is_401_and_changes_nothing(user):
    """401 invalid_credentials, one failed record, and the password and sessions stay as they were."""
    response, record = only_record_written_by(
        lambda: change(user, {"current_password": "Wrong-horse-battery-1", "new_password": NEW_PASSWORD})
    )

    assert (response.status_code, response.json()["error"]) == (401, "invalid_credentials")
    assert (record.action, record.status, record.reason) == ("password_change", "failed", "invalid_credentials")
    assert refresh_status(user) == 200
    assert [login_status(user, PASSWORD), login_status(user, NEW_PASSWORD)] == [200, 401]


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"current_password": PASSWORD, "new_password": "12345678"}, {"new_password"}),
        ({"current_password": PASSWORD, "new_password": "ada@example.com"}, {"new_password"}),
        ({"new_password": NEW_PASSWORD}, {"current_password"}),
        ({"current_password": PASSWORD, "new_password": NEW_PASSWORD, "email": "x@example.com"}, {"email"}),
    ],
    ids=["numeric", "the-email", "no-current", "unknown-key"],
)
def test_a_refused_body_is_400_naming_the_fields_and_changes_nothing(user, body, fields):
    """A weak new password, a missing field or an extra key: 400 naming it, the old password still works."""
    response = change(user, body)
    assert (response.status_code, response.json()["error"]) == (400, "invalid_request")
    assert set(response.json()["fields"]) == fields
    assert login_status(user, PASSWORD) == 200


def test_an_unknown_or_other_clients_user_is_a_404(user, other_tenant):
    """No such user for this client: 404, whoever's id it is."""
    body = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    assert call(user.tenant, f"users/{uuid.uuid4()}/password", body).status_code == 404
    assert change(user, body, tenant=other_tenant).status_code == 404
    assert login_status(user, PASSWORD) == 200


def test_guesses_count_in_the_login_email_limit(user):
    """Wrong current passwords and logins share the per-email bucket: over it, 429 and no check."""
    user.tenant.client.rate_limits = {"login_email": "2/m"}
    user.tenant.client.save(update_fields=["rate_limits"])
    wrong = {"current_password": "Wrong-horse-battery-1", "new_password": NEW_PASSWORD}

    assert [change(user, wrong).status_code, login_status(user, "Wrong-horse-battery-1")] == [401, 401]

    assert change(user, {"current_password": PASSWORD, "new_password": NEW_PASSWORD}).status_code == 429
    assert login_status(user, PASSWORD) == 429
    assert check_password(PASSWORD, user.row().password_hash)
