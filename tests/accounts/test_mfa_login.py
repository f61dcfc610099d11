"""Login with a second factor: the password answers an mfa_token (no tokens), login/mfa finishes it with a
TOTP code (each step once) or a recovery code (each once); the token is single-use, short-lived, bound to
its client, user and token generation, and dies after five wrong codes."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import MfaChallenge, RefreshToken
from tests.accounts.conftest import PASSWORD, call, sign_up, token_rows, totp_enrol, totp_turn_on
from tests.conftest import make_tenant

# TOTP secrets are sealed: the suite runs with DEBUG off, so each test brings a sealing key.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("sealing_key")]


def finish(totp_user, token: str, code: str):
    return call(totp_user.user.tenant, "login/mfa", {"mfa_token": token, "code": code})


def assert_refused(response, status: int, error: str) -> None:
    assert (response.status_code, response.json()["error"]) == (status, error), response.content


def test_the_password_alone_answers_an_mfa_token_and_no_tokens(totp_user):
    """200 {mfa_required, mfa_token, methods}; no token row is written."""
    user = totp_user.user
    rows_before = len(token_rows(user.tenant))
    body = call(user.tenant, "login", {"email": user.email, "password": PASSWORD}).json()

    assert set(body) == {"mfa_required", "mfa_token", "methods"}
    assert body["mfa_required"] is True and body["mfa_token"].startswith("mfa_")
    assert body["methods"] == ["totp", "recovery_code"]
    assert len(token_rows(user.tenant)) == rows_before


def test_a_wrong_password_still_answers_invalid_credentials(totp_user):
    """The second factor is asked only after the right password."""
    user = totp_user.user
    assert_refused(call(user.tenant, "login", {"email": user.email, "password": "Wrong-password-123"}), 401, "invalid_credentials")


def test_a_totp_code_finishes_the_login_with_a_live_token_pair(totp_user):
    """200 with the pair login would answer; the access token verifies as the user's."""
    response = finish(totp_user, totp_user.mfa_token(), totp_user.code())
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["user_id"] == totp_user.user.user_id and body["refresh_token"].startswith("rt_")
    verified = call(totp_user.user.tenant, "token/verify", {"token": body["access_token"]}).json()
    assert (verified["active"], verified["user_id"]) == (True, totp_user.user.user_id)


def test_a_wrong_code_is_refused_and_the_token_takes_another(totp_user):
    """401 invalid_mfa_code; a right code on the same token then finishes the login."""
    token = totp_user.mfa_token()
    assert_refused(finish(totp_user, token, "000000" if totp_user.code() != "000000" else "111111"), 401, "invalid_mfa_code")
    assert finish(totp_user, token, totp_user.code()).status_code == 200


def test_a_totp_code_is_accepted_once(totp_user):
    """The same code on a second login's token: 401 invalid_mfa_code (its time step is used)."""
    code = totp_user.code()
    assert finish(totp_user, totp_user.mfa_token(), code).status_code == 200
    assert_refused(finish(totp_user, totp_user.mfa_token(), code), 401, "invalid_mfa_code")


def test_the_code_that_confirmed_totp_does_not_log_in(user):
    """The confirmation spent its step: the same code on the first login's token is refused."""
    authenticator = totp_enrol(user)
    code = authenticator.now()
    assert call(user.tenant, f"users/{user.user_id}/mfa/totp/confirm", {"code": code}).status_code == 200
    token = call(user.tenant, "login", {"email": user.email, "password": PASSWORD}).json()["mfa_token"]
    response = call(user.tenant, "login/mfa", {"mfa_token": token, "code": code})
    assert (response.status_code, response.json()["error"]) == (401, "invalid_mfa_code")


def test_an_older_step_is_refused_once_a_later_one_was_used(totp_user):
    """Steps are accepted in order: after the next step's code, the current step's code is refused too."""
    assert finish(totp_user, totp_user.mfa_token(), totp_user.code(1)).status_code == 200
    assert_refused(finish(totp_user, totp_user.mfa_token(), totp_user.code(0)), 401, "invalid_mfa_code")


def test_a_code_outside_the_window_is_refused(totp_user):
    """Two steps away (a minute) is too far either way."""
    assert_refused(finish(totp_user, totp_user.mfa_token(), totp_user.code(3)), 401, "invalid_mfa_code")
    assert_refused(finish(totp_user, totp_user.mfa_token(), totp_user.code(-3)), 401, "invalid_mfa_code")


def test_a_recovery_code_works_once_in_any_spelling(totp_user):
    """Upper case with spaces is the same code; spent, it is refused; the summary counts nine left."""
    code = totp_user.recovery_codes[3]
    assert finish(totp_user, totp_user.mfa_token(), " " + code.upper().replace("-", " - ") + " ").status_code == 200
    assert_refused(finish(totp_user, totp_user.mfa_token(), code), 401, "invalid_mfa_code")
    user = totp_user.user
    assert call(user.tenant, f"users/{user.user_id}", method="GET").json()["mfa"]["recovery_codes_left"] == 9


def test_methods_drop_recovery_codes_when_none_is_left(totp_user):
    """With every code used, login names only totp."""
    client = totp_user.user.tenant.client
    client.rate_limits = {"mfa_user": "100/m", "login_email": "100/m"}  # eleven logins in a row, on purpose
    client.save()
    for code in totp_user.recovery_codes:
        assert finish(totp_user, totp_user.mfa_token(), code).status_code == 200
    user = totp_user.user
    assert call(user.tenant, "login", {"email": user.email, "password": PASSWORD}).json()["methods"] == ["totp"]


def test_the_mfa_token_is_single_use(totp_user):
    """After the login it finished, the token answers 401 invalid_token, even with a fresh code."""
    token = totp_user.mfa_token()
    assert finish(totp_user, token, totp_user.code(0)).status_code == 200
    assert_refused(finish(totp_user, token, totp_user.code(1)), 401, "invalid_token")


def test_an_expired_mfa_token_is_refused(totp_user):
    """Five minutes: a token whose row says it expired answers invalid_token (time driven through the row)."""
    token = totp_user.mfa_token()
    assert MfaChallenge.objects.get().expires_at - timezone.now() <= timedelta(minutes=5)
    MfaChallenge.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert_refused(finish(totp_user, token, totp_user.code()), 401, "invalid_token")


def test_five_wrong_codes_kill_the_token(totp_user):
    """Wrong codes 1 to 5: invalid_mfa_code; then even the right code: invalid_token. A new login starts afresh."""
    token = totp_user.mfa_token()
    wrong = "000000" if totp_user.code() != "000000" else "111111"
    for _ in range(5):
        assert_refused(finish(totp_user, token, wrong), 401, "invalid_mfa_code")
    assert MfaChallenge.objects.get().attempts == 5
    assert_refused(finish(totp_user, token, totp_user.code()), 401, "invalid_token")
    assert finish(totp_user, totp_user.mfa_token(), totp_user.code()).status_code == 200


@pytest.mark.parametrize("token", ["", "mfa_", "mfa_" + "0" * 32 + "." + "A" * 43, "rt_" + "0" * 32 + "." + "A" * 43, "x" * 129])
def test_a_malformed_or_unknown_token_is_refused(totp_user, token):
    """400 for an empty or over-long value, else 401 invalid_token."""
    response = finish(totp_user, token, totp_user.code())
    assert response.status_code in (400, 401) and response.json()["error"] in ("invalid_request", "invalid_token")
    assert response.status_code == 400 or response.json()["error"] == "invalid_token"


def test_a_tampered_token_secret_is_refused(totp_user):
    """The id names a live row, but the secret is not its: invalid_token, and no attempt is counted."""
    token = totp_user.mfa_token()
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert_refused(finish(totp_user, tampered, totp_user.code()), 401, "invalid_token")
    assert MfaChallenge.objects.get().attempts == 0


def test_a_password_reset_since_the_password_check_kills_the_token(totp_user):
    """The token is bound to the user's token generation: a reset (a new generation) makes it invalid_token."""
    token = totp_user.mfa_token()
    user = totp_user.user
    model = type(user.row())
    model.objects.filter(pk=user.user_id).update(token_generation=user.row().current_token_generation + 1)
    assert_refused(finish(totp_user, token, totp_user.code()), 401, "invalid_token")


def test_a_user_deactivated_meanwhile_cannot_finish(totp_user):
    """Deactivated between the password and the code: invalid_token, no token row."""
    token = totp_user.mfa_token()
    user = totp_user.user
    call(user.tenant, f"users/{user.user_id}", {"is_active": False}, method="PATCH")
    rows = RefreshToken.objects.count()
    assert_refused(finish(totp_user, token, totp_user.code()), 401, "invalid_token")
    assert RefreshToken.objects.count() == rows


def test_another_clients_mfa_token_is_refused(totp_user, other_tenant):
    """Client A's mfa_token sent to client B (with B's key): 401 invalid_token, and A's token still works."""
    token = totp_user.mfa_token()
    assert_refused(call(other_tenant, "login/mfa", {"mfa_token": token, "code": totp_user.code()}), 401, "invalid_token")
    assert finish(totp_user, token, totp_user.code()).status_code == 200


@pytest.mark.parametrize(
    ("path", "method", "body"),
    [
        ("mfa/totp", "POST", None),
        ("mfa/totp", "DELETE", None),
        ("mfa/totp/confirm", "POST", {"code": "123456"}),
        ("mfa/recovery-codes", "POST", None),
    ],
)
def test_another_clients_user_is_not_found(totp_user, other_tenant, path, method, body):
    """A's user id under B's path and key: 404 not_found; A's user keeps its factors."""
    response = call(other_tenant, f"users/{totp_user.user.user_id}/{path}", body, method=method)
    assert_refused(response, 404, "not_found")
    assert call(totp_user.user.tenant, f"users/{totp_user.user.user_id}", method="GET").json()["mfa"]["totp"] is True


def test_another_clients_user_with_the_same_email_is_not_asked(totp_user):
    """The same email at another client has no factor there: tokens at once."""
    other = make_tenant("Globex", "E-commerce")
    sign_up(other, totp_user.user.email)
    assert "access_token" in call(other, "login", {"email": totp_user.user.email, "password": PASSWORD}).json()


def test_a_token_for_enrolment_is_not_a_token_for_login_mfa(tenant):
    """An mfa_token issued for a required enrolment does not finish a login through login/mfa."""
    tenant.client.mfa_policy = "required"
    tenant.client.save()
    user = sign_up(tenant)
    token = call(tenant, "login", {"email": user.email, "password": PASSWORD}).json()["mfa_token"]
    assert_refused(call(tenant, "login/mfa", {"mfa_token": token, "code": "123456"}), 401, "invalid_token")


def test_turning_totp_on_for_a_second_user_leaves_the_first_alone(tenant):
    """Factors are per user: another user of the client logs in with the password alone."""
    totp_turn_on(sign_up(tenant, "ada@example.com"))
    bob = sign_up(tenant, "bob@example.com")
    assert "access_token" in call(tenant, "login", {"email": bob.email, "password": PASSWORD}).json()
