"""Codes are rate limited like passwords: per user (`mfa_user`) and per end-user address (`mfa_ip`), each
over its limit a 429 with Retry-After and a `rate_limited` audit record, whatever token carries the code."""

import pytest

from audit.models import AuditLog
from tests.accounts.conftest import call, sign_up, totp_turn_on

# Redis counters, not rows: the sqlite pass is enough.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.store_independent, pytest.mark.usefixtures("sealing_key")]


def limit(tenant, name: str, rate: str = "2/h") -> None:
    tenant.client.rate_limits = {name: rate, "login_email": "100/h", "login_ip": "100/h"}
    tenant.client.save()


def wrong(totp_user, **headers):
    code = "000000" if totp_user.code() != "000000" else "111111"
    return call(totp_user.user.tenant, "login/mfa", {"mfa_token": totp_user.mfa_token(), "code": code}, **headers)


def assert_limited(response, name: str) -> None:
    assert (response.status_code, response.json()["error"]) == (429, "rate_limited"), response.content
    assert response["Retry-After"].isdigit()
    assert AuditLog.objects.filter(action="rate_limited").latest("timestamp").metadata["limit"] == name


def test_codes_for_one_user_are_limited_across_tokens_and_addresses(totp_user):
    """Each login has a fresh token and another address: the user's bucket still fills (confirm counted too)."""
    limit(totp_user.user.tenant, "mfa_user", "2/h")
    for n in range(2):
        assert wrong(totp_user, HTTP_X_END_USER_IP=f"203.0.113.{n + 1}").status_code == 401
    assert_limited(wrong(totp_user, HTTP_X_END_USER_IP="203.0.113.9"), "mfa_user")
    # The right code is refused too while the bucket is full: no guessing past the limit.
    response = call(totp_user.user.tenant, "login/mfa", {"mfa_token": totp_user.mfa_token(), "code": totp_user.code()})
    assert response.status_code == 429


def test_another_user_of_the_client_keeps_their_own_bucket(tenant):
    """One user's filled bucket does not stop another's codes."""
    ada, bob = totp_turn_on(sign_up(tenant, "ada@example.com")), totp_turn_on(sign_up(tenant, "bob@example.com"))
    limit(tenant, "mfa_user", "2/h")
    assert [wrong(ada).status_code for _ in range(2)] == [401, 401]
    assert_limited(wrong(ada), "mfa_user")
    assert call(tenant, "login/mfa", {"mfa_token": bob.mfa_token(), "code": bob.code()}).status_code == 200


def test_codes_from_one_address_are_limited_across_users(tenant):
    """Two users, one X-End-User-IP: the address's bucket fills; another address still passes."""
    ada, bob = totp_turn_on(sign_up(tenant, "ada@example.com")), totp_turn_on(sign_up(tenant, "bob@example.com"))
    limit(tenant, "mfa_ip", "2/h")
    address = {"HTTP_X_END_USER_IP": "203.0.113.7"}
    assert wrong(ada, **address).status_code == 401
    assert wrong(bob, **address).status_code == 401
    assert_limited(wrong(ada, **address), "mfa_ip")
    assert wrong(bob, HTTP_X_END_USER_IP="198.51.100.9").status_code == 401


def test_a_backend_that_sends_no_address_is_not_limited_per_address(tenant):
    """Without X-End-User-IP every user would share the backend's address: the per-address limit does not apply."""
    totp_user = totp_turn_on(sign_up(tenant))
    limit(tenant, "mfa_ip", "1/h")
    for _ in range(3):
        assert wrong(totp_user).status_code == 401


def test_confirming_an_enrolment_counts_in_the_users_bucket(user):
    """Guessing at users/<id>/mfa/totp/confirm fills the same `mfa_user` bucket."""
    limit(user.tenant, "mfa_user", "2/h")
    call(user.tenant, f"users/{user.user_id}/mfa/totp")
    for _ in range(2):
        assert call(user.tenant, f"users/{user.user_id}/mfa/totp/confirm", {"code": "000000"}).status_code in (200, 401)
    assert_limited(call(user.tenant, f"users/{user.user_id}/mfa/totp/confirm", {"code": "000000"}), "mfa_user")
