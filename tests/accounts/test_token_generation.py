"""Access tokens stop counting at a password reset, a deactivation and a reactivation (the `gen` claim)."""

import pytest

from accounts.tokens import ClientAccessToken
from tests.accounts.conftest import call, claims_of, log_in
from tests.accounts.test_password_reset import NEW_PASSWORD, mailed_reset_token, reset

pytestmark = pytest.mark.django_db(transaction=True)


def verify(user, token: str) -> dict:
    response = call(user.tenant, "token/verify", {"token": token})
    assert response.status_code == 200, response.content
    return response.json()


def set_active(user, active: bool) -> None:
    response = call(user.tenant, f"users/{user.user_id}", {"is_active": active}, method="PATCH")
    assert response.status_code == 200, response.content


def test_a_token_issued_before_a_password_reset_is_inactive(user, mailoutbox):
    """After the reset, verify answers active: false for the old access token; a new login's token is active."""
    assert verify(user, user.access_token)["active"] is True
    assert reset(user.tenant, mailed_reset_token(user.tenant, mailoutbox, user.email)).status_code == 200
    assert verify(user, user.access_token) == {"active": False}
    fresh = call(user.tenant, "login", {"email": user.email, "password": NEW_PASSWORD}).json()["access_token"]
    assert verify(user, fresh)["active"] is True


@pytest.mark.parametrize("sessions", [1, 2])
def test_a_token_from_before_a_deactivation_stays_dead_after_reactivation(user, sessions):
    """deactivate → reactivate: every access token issued before stays inactive; a new login's is active."""
    tokens = [user.access_token] + [log_in(user).access_token for _ in range(sessions - 1)]
    set_active(user, False)
    set_active(user, True)
    for token in tokens:
        assert verify(user, token) == {"active": False}
    assert verify(user, log_in(user).access_token)["active"] is True


def test_a_refresh_after_reactivation_needs_a_new_login(user):
    """The refresh token of before the deactivation was revoked with it; refreshing it is refused."""
    set_active(user, False)
    set_active(user, True)
    response = call(user.tenant, "token/refresh", {"refresh_token": user.refresh_token})
    assert response.status_code == 401


def test_tokens_carry_the_generation_they_were_issued_under(user):
    """`gen` is 0 for a new user and follows each bump; a custom_fields change bumps nothing."""
    assert claims_of(user.access_token)["gen"] == 0
    assert call(user.tenant, f"users/{user.user_id}", {"custom_fields": {"plan": "pro"}}, method="PATCH").status_code == 200
    assert verify(user, user.access_token)["active"] is True
    set_active(user, False)
    set_active(user, True)
    assert claims_of(log_in(user).access_token)["gen"] == 2


def _token_without_gen(user) -> str:
    """An access token as the release before `gen` minted it: signed by us, no `gen` claim."""
    token = ClientAccessToken(client_id=user.tenant.client.client_id)
    token["sub"] = user.user_id
    token["client_id"] = user.tenant.client_id
    token["email"] = user.email
    return str(token)


def test_a_token_without_gen_counts_until_the_users_first_bump(user):
    """Tokens from before the claim existed read as generation 0: valid, until a deactivation bumps it."""
    old = _token_without_gen(user)
    assert "gen" not in claims_of(old)
    assert verify(user, old)["active"] is True
    set_active(user, False)
    set_active(user, True)
    assert verify(user, old) == {"active": False}
