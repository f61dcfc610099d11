"""A passkey as a password login's second factor: `passkey` among the methods, login/mfa/passkey/options, then
login/mfa with `passkey_credential`; the challenge is the mfa_token's user's and answers once."""

import pytest

from accounts.mfa_events import MfaVerified, PasskeySignCountRegressed
from tests.accounts.conftest import ORIGIN, PASSWORD, call, passkeys_on, register_passkey, sign_up, totp_turn_on
from tests.authenticator import SoftAuthenticator
from tests.conftest import make_tenant

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.store_independent]


def mfa_token(user) -> dict:
    body = call(user.tenant, "login", {"email": user.email, "password": PASSWORD}).json()
    assert body.get("mfa_required") is True, body
    return body


def passkey_options(user, token: str):
    return call(user.tenant, "login/mfa/passkey/options", {"mfa_token": token})


def finish(user, token: str, credential: dict):
    return call(user.tenant, "login/mfa", {"mfa_token": token, "passkey_credential": credential})


def assert_refused(response, status: int, error: str) -> None:
    assert (response.status_code, response.json()["error"]) == (status, error), response.content


def test_a_password_login_asks_for_the_passkey(passkey_user):
    """A user whose only factor is a passkey: mfa_required, methods ["passkey"], no tokens."""
    body = mfa_token(passkey_user.user)
    assert body["methods"] == ["passkey"] and "access_token" not in body


def test_the_passkey_finishes_the_login_with_a_live_pair(passkey_user, published):
    """Options for the user's passkey, its assertion at login/mfa: 200 with a pair token/verify accepts; mfa.verified."""
    token = mfa_token(passkey_user.user)["mfa_token"]
    options = passkey_options(passkey_user.user, token)
    assert options.status_code == 200, options.content
    response = finish(passkey_user.user, token, passkey_user.authenticator.get(options.json(), origin=ORIGIN))
    assert response.status_code == 200, response.content
    verified = call(passkey_user.user.tenant, "token/verify", {"token": response.json()["access_token"]}).json()
    assert (verified["active"], verified["user_id"]) == (True, passkey_user.user.user_id)
    assert [event.method for event in published if isinstance(event, MfaVerified)] == ["passkey"]
    listed = call(passkey_user.user.tenant, f"users/{passkey_user.user.user_id}/passkeys", method="GET").json()["passkeys"]
    assert listed[0]["last_used_at"] is not None


@pytest.mark.usefixtures("sealing_key")
def test_totp_and_passkey_are_both_offered_and_either_finishes(passkey_user):
    """methods lists totp, recovery_code and passkey; a TOTP code still finishes the login."""
    totp = totp_turn_on(passkey_user.user)
    body = mfa_token(passkey_user.user)
    assert body["methods"] == ["totp", "recovery_code", "passkey"]
    assert call(passkey_user.user.tenant, "login/mfa", {"mfa_token": body["mfa_token"], "code": totp.code()}).status_code == 200


def test_a_passkey_challenge_answers_one_login(passkey_user):
    """The signed answer on a second mfa_token (its challenge spent by the first login): 401 invalid_mfa_code."""
    token = mfa_token(passkey_user.user)["mfa_token"]
    credential = passkey_user.authenticator.get(passkey_options(passkey_user.user, token).json(), origin=ORIGIN)
    assert finish(passkey_user.user, token, credential).status_code == 200
    assert_refused(finish(passkey_user.user, mfa_token(passkey_user.user)["mfa_token"], credential), 401, "invalid_mfa_code")


@pytest.mark.parametrize("origin, rp_id", [("https://evil.example", None), (ORIGIN, "evil.example")], ids=["origin", "rp-id"])
def test_another_origin_or_rp_id_is_a_wrong_code(passkey_user, origin, rp_id):
    """401 invalid_mfa_code, and the token takes the right passkey afterwards."""
    token = mfa_token(passkey_user.user)["mfa_token"]
    options = passkey_options(passkey_user.user, token).json()
    wrong = passkey_user.authenticator.get(options, origin=origin, rp_id=rp_id, credential=passkey_user.authenticator.only)
    assert_refused(finish(passkey_user.user, token, wrong), 401, "invalid_mfa_code")
    assert finish(passkey_user.user, token, passkey_user.authenticator.get(options, origin=ORIGIN)).status_code == 200


def test_a_passwordless_challenge_does_not_prove_a_second_factor(passkey_user):
    """An assertion for login/passkey/options' challenge, sent to login/mfa: 401 invalid_mfa_code."""
    token = mfa_token(passkey_user.user)["mfa_token"]
    passwordless = passkey_user.login_options()["options"]
    assert_refused(finish(passkey_user.user, token, passkey_user.authenticator.get(passwordless, origin=ORIGIN)), 401, "invalid_mfa_code")


def test_another_users_passkey_is_a_wrong_code(passkey_user):
    """Bob's passkey on Ada's challenge: 401 invalid_mfa_code."""
    bob = sign_up(passkey_user.user.tenant, "bob@example.com")
    bobs = SoftAuthenticator()
    register_passkey(bob, bobs)
    token = mfa_token(passkey_user.user)["mfa_token"]
    options = passkey_options(passkey_user.user, token).json()
    assert_refused(finish(passkey_user.user, token, bobs.get(options, origin=ORIGIN, credential=bobs.only)), 401, "invalid_mfa_code")


def test_a_counter_that_goes_back_is_refused_and_published(passkey_user, published):
    """401 invalid_mfa_code and passkey.sign_count_regressed (via mfa)."""
    assert passkey_user.log_in().status_code == 200  # the service has seen counter 1
    passkey_user.authenticator.only.sign_count = 0  # a copy of the key: its next signature carries 1 again
    token = mfa_token(passkey_user.user)["mfa_token"]
    credential = passkey_user.authenticator.get(passkey_options(passkey_user.user, token).json(), origin=ORIGIN)
    assert_refused(finish(passkey_user.user, token, credential), 401, "invalid_mfa_code")
    assert [(event.via, event.sign_count) for event in published if isinstance(event, PasskeySignCountRegressed)] == [("mfa", 1)]


@pytest.mark.parametrize("body", [{}, {"code": "123456", "passkey_credential": {}}, {"passkey_credential": "text"}])
def test_one_proof_is_sent(passkey_user, body):
    """Neither a code nor a credential, both, or a credential that is not an object: 400 invalid_request."""
    token = mfa_token(passkey_user.user)["mfa_token"]
    response = call(passkey_user.user.tenant, "login/mfa", {"mfa_token": token, **body})
    assert_refused(response, 400, "invalid_request")


@pytest.mark.usefixtures("sealing_key")
def test_options_for_a_user_without_a_passkey_are_a_conflict(passkey_tenant):
    """A TOTP-only user: 409 mfa_conflict; a dead mfa_token: 401 invalid_token."""
    user = totp_turn_on(sign_up(passkey_tenant)).user
    assert_refused(passkey_options(user, mfa_token(user)["mfa_token"]), 409, "mfa_conflict")
    assert_refused(passkey_options(user, "mfa_" + "0" * 32 + "." + "x" * 43), 401, "invalid_token")


def test_another_clients_mfa_token_gets_no_options(passkey_user):
    """Client A's mfa_token at client B: 401 invalid_token, as at login/mfa."""
    other = passkeys_on(make_tenant("Globex", "E-commerce"))
    assert_refused(call(other, "login/mfa/passkey/options", {"mfa_token": mfa_token(passkey_user.user)["mfa_token"]}), 401, "invalid_token")
