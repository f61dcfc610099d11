"""Staff see a user's second factors on the client's users page (never a secret) and can reset them: through the
service, audited with the staff member as actor; a reset user logs in with the password alone."""

import pytest

from accounts.models import MfaChallenge
from tests.accounts.conftest import PASSWORD, call, sign_up, totp_enrol, totp_turn_on
from tests.audit.conftest import records_written_by

# TOTP secrets are sealed: the suite runs with DEBUG off, so each test brings a sealing key.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("sealing_key")]


def users_page(tenant) -> str:
    return f"/admin/accounts/clients/{tenant.client_id}/users/"


def factors_shown(page: str, email: str) -> str:
    row = page.split(f"<td>{email}</td>", 1)[1].split("</tr>", 1)[0]
    return row.split('<td class="factors">', 1)[1].split("</td>", 1)[0]


def test_the_users_page_shows_which_factors_are_on_and_no_secret(admin_client, tenant):
    """TOTP with its recovery codes left, a pending enrolment, nothing; neither the secret nor a code is on the page."""
    ada = totp_turn_on(sign_up(tenant, "ada@example.com"))
    grace = sign_up(tenant, "grace@example.com")
    pending = totp_enrol(grace)
    sign_up(tenant, "bob@example.com")

    page = admin_client.get(users_page(tenant)).content.decode()

    assert factors_shown(page, "ada@example.com") == "TOTP, 10 recovery codes"
    assert factors_shown(page, "grace@example.com") == "TOTP pending"
    assert factors_shown(page, "bob@example.com") == "&ndash;"
    assert ada.authenticator.secret not in page and pending.secret not in page
    assert not any(code in page for code in ada.recovery_codes)
    assert page.count('value="reset_mfa:') == 2


def test_reset_mfa_removes_every_factor_and_records_the_staff_member(admin_client, admin_user, tenant):
    """The row's Reset MFA: factors gone, the pending mfa_token dead, the password alone logs in; one mfa_reset record."""
    totp_user = totp_turn_on(sign_up(tenant))
    user = totp_user.user
    token = totp_user.mfa_token()

    response, records = records_written_by(
        lambda: admin_client.post(users_page(tenant), {"row_action": f"reset_mfa:{user.user_id}"}, follow=True)
    )

    assert "Reset the second factors of 1 user(s)" in response.content.decode()
    assert [(record.action, record.status, str(record.user_id), record.metadata["factors"]) for record in records] == [
        ("mfa_reset", "success", user.user_id, ["totp"])
    ]
    assert records[0].metadata["actor"]["username"] == admin_user.username
    assert user.row().mfa == {}
    assert MfaChallenge.objects.get().spent_at is not None
    refused = call(tenant, "login/mfa", {"mfa_token": token, "code": totp_user.code()})
    assert (refused.status_code, refused.json()["error"]) == (401, "invalid_token")
    assert "access_token" in call(tenant, "login", {"email": user.email, "password": PASSWORD}).json()


def test_reset_mfa_as_a_bulk_action(admin_client, tenant):
    """Selected users, the Reset MFA action: each loses its factors."""
    users = [totp_turn_on(sign_up(tenant, f"u{n}@example.com")).user for n in range(2)]
    admin_client.post(users_page(tenant), {"action": "reset_mfa", "user_id": [user.user_id for user in users]})
    assert [user.row().mfa for user in users] == [{}, {}]
