"""A client's `mfa_policy`: `optional` by default; with `required`, a user without a factor enrols TOTP during
the login (login/mfa/totp, then login/mfa/totp/confirm) before any token pair is issued."""

import pyotp
import pytest
from rest_framework.test import APIClient

from tests.accounts.conftest import PASSWORD, call, sign_up, token_rows, totp_turn_on
from tests.conftest import make_tenant

# TOTP secrets are sealed: the suite runs with DEBUG off, so each test brings a sealing key.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("sealing_key")]

REGISTER = "/api/v1/clients/register"


@pytest.fixture
def strict_tenant(transactional_db):
    return make_tenant("Strict Bank", "Fintech", mfa_policy="required")


def log_in(tenant, user) -> dict:
    response = call(tenant, "login", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 200, response.content
    return response.json()


def test_the_policy_is_optional_unless_registered_as_required(post_json, tenant):
    """GET the client shows `mfa_policy`; registration takes it; anything else is a 400 naming the field."""
    assert call(tenant, "", method="GET").json()["mfa_policy"] == "optional"
    registered = post_json(REGISTER, {"client_name": "Strict", "industry": "Fintech", "mfa_policy": "required"})
    assert registered.status_code == 201, registered.content
    key = {"HTTP_AUTHORIZATION": f"Bearer {registered.json()['access_key']}"}
    assert APIClient().get(f"/api/v1/{registered.json()['client_id']}/", **key).json()["mfa_policy"] == "required"
    refused = post_json(REGISTER, {"client_name": "Odd", "industry": "SaaS", "mfa_policy": "sometimes"})
    assert refused.status_code == 400 and "mfa_policy" in refused.json()["fields"]


def test_sign_up_answers_an_enrolment_token_and_no_tokens(strict_tenant):
    """201 with the user, `mfa_enrollment_required` and an mfa_token, no pair; that token enrols, and its confirmation logs in."""
    rows = len(token_rows(strict_tenant))
    response = call(strict_tenant, "signup", {"email": "ada@example.com", "password": PASSWORD})
    body = response.json()
    assert response.status_code == 201 and body["mfa_enrollment_required"] is True
    assert "access_token" not in body and "refresh_token" not in body and len(token_rows(strict_tenant)) == rows
    authenticator = pyotp.parse_uri(call(strict_tenant, "login/mfa/totp", {"mfa_token": body["mfa_token"]}).json()["otpauth_uri"])
    confirmed = call(strict_tenant, "login/mfa/totp/confirm", {"mfa_token": body["mfa_token"], "code": authenticator.now()})
    assert confirmed.status_code == 200 and confirmed.json()["user_id"] == body["user_id"]


def test_sign_up_with_verification_required_too_asks_for_the_email_first(transactional_db):
    """Verification and a factor both required: sign-up answers verification_required (no mfa_token yet)."""
    tenant = make_tenant("Both Co", require_email_verification=True, mfa_policy="required")
    body = call(tenant, "signup", {"email": "ada@example.com", "password": PASSWORD}).json()
    assert body["verification_required"] is True and "mfa_token" not in body and "access_token" not in body


def test_a_user_without_a_factor_gets_an_enrolment_token_and_no_tokens(strict_tenant):
    """200 {mfa_enrollment_required, mfa_token}; no token row."""
    user = sign_up(strict_tenant)
    rows = len(token_rows(strict_tenant))
    body = log_in(strict_tenant, user)
    assert set(body) == {"mfa_enrollment_required", "mfa_token"} and body["mfa_enrollment_required"] is True
    assert len(token_rows(strict_tenant)) == rows


def test_the_enrolment_sequence_ends_in_a_token_pair_and_recovery_codes(strict_tenant):
    """login → login/mfa/totp (secret, URI) → login/mfa/totp/confirm (code) → pair + ten codes; TOTP is then on."""
    user = sign_up(strict_tenant)
    token = log_in(strict_tenant, user)["mfa_token"]
    enrolment = call(strict_tenant, "login/mfa/totp", {"mfa_token": token})
    assert enrolment.status_code == 201, enrolment.content
    authenticator = pyotp.parse_uri(enrolment.json()["otpauth_uri"])
    assert authenticator.issuer == "Strict Bank"

    confirmed = call(strict_tenant, "login/mfa/totp/confirm", {"mfa_token": token, "code": authenticator.now()})
    assert confirmed.status_code == 200, confirmed.content
    body = confirmed.json()
    assert len(body["recovery_codes"]) == 10 and body["user_id"] == user.user_id
    assert call(strict_tenant, "token/verify", {"token": body["access_token"]}).json()["active"] is True
    summary = call(strict_tenant, f"users/{user.user_id}", method="GET").json()["mfa"]
    assert summary == {"totp": True, "passkeys": 0, "recovery_codes_left": 10}
    # The enrolment token is spent, and the next login asks for a code.
    assert call(strict_tenant, "login/mfa/totp/confirm", {"mfa_token": token, "code": authenticator.now()}).json()["error"] == "invalid_token"
    assert log_in(strict_tenant, user)["mfa_required"] is True


def test_a_wrong_code_during_enrolment_counts_against_the_token(strict_tenant):
    """401 invalid_mfa_code, TOTP stays off; five wrong codes kill the token."""
    user = sign_up(strict_tenant)
    token = log_in(strict_tenant, user)["mfa_token"]
    rows = len(token_rows(strict_tenant))
    secret = call(strict_tenant, "login/mfa/totp", {"mfa_token": token}).json()["secret"]
    wrong = "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"
    for _ in range(5):
        response = call(strict_tenant, "login/mfa/totp/confirm", {"mfa_token": token, "code": wrong})
        assert (response.status_code, response.json()["error"]) == (401, "invalid_mfa_code")
    response = call(strict_tenant, "login/mfa/totp/confirm", {"mfa_token": token, "code": pyotp.TOTP(secret).now()})
    assert (response.status_code, response.json()["error"]) == (401, "invalid_token")
    assert call(strict_tenant, f"users/{user.user_id}", method="GET").json()["mfa"]["totp"] is False
    assert len(token_rows(strict_tenant)) == rows


def test_a_login_token_cannot_enrol(strict_tenant):
    """A user with TOTP on gets a verification token: the enrolment calls refuse it (401 invalid_token)."""
    totp_user = totp_turn_on(sign_up(strict_tenant))
    token = totp_user.mfa_token()
    for path, body in (("login/mfa/totp", {"mfa_token": token}), ("login/mfa/totp/confirm", {"mfa_token": token, "code": "123456"})):
        response = call(strict_tenant, path, body)
        assert (response.status_code, response.json()["error"]) == (401, "invalid_token")


def test_another_clients_enrolment_token_is_refused(strict_tenant, tenant):
    """Client A's enrolment token at client B: 401 invalid_token, no secret issued."""
    user = sign_up(strict_tenant)
    token = log_in(strict_tenant, user)["mfa_token"]
    response = call(tenant, "login/mfa/totp", {"mfa_token": token})
    assert (response.status_code, response.json()["error"]) == (401, "invalid_token")
    assert user.row().mfa == {}


def test_optional_policy_leaves_users_without_a_factor_alone(tenant):
    """The default: the password alone answers tokens."""
    user = sign_up(tenant)
    assert "access_token" in log_in(tenant, user)


def test_the_client_turns_the_policy_on_with_patch_and_its_next_login_asks_for_enrolment(tenant):
    """PATCH /api/v1/<client_id>/ {"mfa_policy": "required"}: 200 and GET shows it; a user with tokens from before logs
    in next with an enrolment token; back to optional, the password alone logs in again."""
    user = sign_up(tenant)
    patched = call(tenant, "", {"mfa_policy": "required"}, method="PATCH")
    assert patched.status_code == 200 and patched.json()["mfa_policy"] == "required", patched.content
    assert call(tenant, "", method="GET").json()["mfa_policy"] == "required"
    assert log_in(tenant, user)["mfa_enrollment_required"] is True

    assert call(tenant, "", {"mfa_policy": "optional"}, method="PATCH").status_code == 200
    assert "access_token" in log_in(tenant, user)


def test_patch_refuses_a_policy_that_does_not_exist(tenant):
    """400 naming mfa_policy; the policy stays."""
    response = call(tenant, "", {"mfa_policy": "sometimes"}, method="PATCH")
    assert response.status_code == 400 and "mfa_policy" in response.json()["fields"]
    assert call(tenant, "", method="GET").json()["mfa_policy"] == "optional"
