"""Staff see a user's passkeys on the client's users page (name and dates, never a key) and can remove one, or
all of them with the user's other factors (Reset MFA); both through the services, audited with the staff member."""

import pytest

from accounts.models import PasskeyChallenge
from tests.accounts.conftest import PASSWORD, call, register_passkey
from tests.audit.conftest import records_written_by
from tests.authenticator import SoftAuthenticator

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.store_independent]


def users_page(tenant) -> str:
    return f"/admin/accounts/clients/{tenant.client_id}/users/"


def test_the_users_page_lists_passkeys_by_name_and_no_key(admin_client, passkey_user):
    """The factors cell says how many, names each with when it was added and last used; nothing of its key."""
    register_passkey(passkey_user.user, SoftAuthenticator(), name="YubiKey")
    assert passkey_user.log_in().status_code == 200
    page = admin_client.get(users_page(passkey_user.user.tenant)).content.decode()
    assert "2 passkeys" in page and '<span class="passkey-name">YubiKey</span>' in page
    assert page.count("last used ") == 1 and page.count("never used") == 1
    for stored in passkey_user.user.row().mfa["passkeys"]:
        assert stored["public_key"] not in page and stored["credential_id"] not in page
    assert page.count('name="passkey_remove"') == 2


def test_remove_takes_one_passkey_and_records_the_staff_member(admin_client, admin_user, passkey_user):
    """The passkey's Remove button: it is gone (and logs in no more), the other stays; one passkey_remove record."""
    user = passkey_user.user
    other = register_passkey(user, SoftAuthenticator(), name="YubiKey")
    response, records = records_written_by(
        lambda: admin_client.post(users_page(user.tenant), {"passkey_remove": f"{user.user_id}:{passkey_user.passkey_id}"}, follow=True)
    )
    assert f"Removed a passkey of {user.email}" in response.content.decode()
    assert [(r.action, r.status, r.metadata["passkey_id"], r.metadata["actor"]["username"]) for r in records] == [
        ("passkey_remove", "success", passkey_user.passkey_id, admin_user.username)
    ]
    assert [passkey["passkey_id"] for passkey in user.row().mfa["passkeys"]] == [other["passkey_id"]]
    assert passkey_user.log_in().status_code == 401
    again = admin_client.post(users_page(user.tenant), {"passkey_remove": f"{user.user_id}:{passkey_user.passkey_id}"}, follow=True)
    assert "has no such passkey" in again.content.decode()


def test_reset_mfa_removes_the_passkeys_and_their_ceremonies(admin_client, passkey_user):
    """Reset MFA: no passkey left, the user's live challenges spent, the record names the factor; the password logs in."""
    user = passkey_user.user
    call(user.tenant, f"users/{user.user_id}/passkeys/registration/options")
    response, records = records_written_by(lambda: admin_client.post(users_page(user.tenant), {"row_action": f"reset_mfa:{user.user_id}"}))
    assert [(record.action, record.metadata["factors"]) for record in records] == [("mfa_reset", ["passkey"])]
    assert user.row().mfa == {}
    assert not PasskeyChallenge.objects.filter(user_id=user.user_id, spent_at__isnull=True).exists()
    assert passkey_user.log_in().status_code == 401
    assert "access_token" in call(user.tenant, "login", {"email": user.email, "password": PASSWORD}).json()
