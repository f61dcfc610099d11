"""TOTP enrolment and recovery codes through users/<id>/mfa/...: pending until confirmed, sealed at rest,
shown on the user only as a summary; recovery codes issued, replaced and dropped with the last factor."""

import json
from urllib.parse import unquote, urlsplit

import pyotp
import pytest

from accounts.mfa_factors import recovery_digests, totp_state
from crypto.sealed import unseal
from tests.accounts.conftest import call, totp_enrol, totp_turn_on

# TOTP secrets are sealed: the suite runs with DEBUG off, so each test brings a sealing key.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("sealing_key")]


def mfa_of(user) -> dict:
    response = call(user.tenant, f"users/{user.user_id}", method="GET")
    assert response.status_code == 200, response.content
    return response.json()["mfa"]


def test_a_new_user_has_no_factor(user):
    """GET users/<id> shows the summary: no TOTP, no passkey, no recovery code."""
    assert mfa_of(user) == {"totp": False, "passkeys": 0, "recovery_codes_left": 0}


def test_enrolment_answers_a_secret_and_a_uri_whose_issuer_is_the_client(user):
    """201 with the secret and an otpauth URI an app reads (pyotp parses it): issuer = client name, account = email."""
    response = call(user.tenant, f"users/{user.user_id}/mfa/totp")
    assert response.status_code == 201, response.content
    body = response.json()
    parsed = pyotp.parse_uri(body["otpauth_uri"])
    assert (parsed.secret, parsed.issuer, parsed.name) == (body["secret"], user.tenant.client.client_name, user.email)
    assert len(body["secret"]) == 32
    assert mfa_of(user)["totp"] is False  # pending until confirmed


def test_the_secret_is_sealed_at_rest_and_never_shown_again(user):
    """The row holds a Fernet token that opens to the secret; the user's answers never carry it."""
    body = call(user.tenant, f"users/{user.user_id}/mfa/totp").json()
    stored = user.row().mfa
    assert body["secret"] not in json.dumps(stored)
    assert unseal(totp_state(stored)["secret_sealed"]) == body["secret"]
    assert body["secret"] not in call(user.tenant, f"users/{user.user_id}", method="GET").content.decode()


def test_confirming_with_a_code_turns_totp_on_and_answers_ten_recovery_codes(user):
    """A code of the pending secret: 200, ten distinct codes, stored only as digests; the summary counts them."""
    authenticator = totp_enrol(user)
    response = call(user.tenant, f"users/{user.user_id}/mfa/totp/confirm", {"code": authenticator.now()})

    assert response.status_code == 200, response.content
    codes = response.json()["recovery_codes"]
    assert len(set(codes)) == 10
    stored = json.dumps(user.row().mfa)
    assert not any(code in stored or code.replace("-", "") in stored for code in codes)
    assert len(recovery_digests(user.row().mfa)) == 10
    assert mfa_of(user) == {"totp": True, "passkeys": 0, "recovery_codes_left": 10}


@pytest.mark.parametrize("code", ["000000", "12345", "abcdef", "", "1234567"])
def test_a_wrong_code_does_not_confirm(user, code):
    """401 invalid_mfa_code (or 400 for an empty body value), and TOTP stays off."""
    totp_enrol(user)
    response = call(user.tenant, f"users/{user.user_id}/mfa/totp/confirm", {"code": code})
    assert (response.status_code, response.json()["error"]) in {(401, "invalid_mfa_code"), (400, "invalid_request")}
    assert mfa_of(user)["totp"] is False


def test_confirming_with_nothing_pending_is_a_conflict(user):
    """409 mfa_conflict: POST mfa/totp comes first."""
    response = call(user.tenant, f"users/{user.user_id}/mfa/totp/confirm", {"code": "123456"})
    assert (response.status_code, response.json()["error"]) == (409, "mfa_conflict")


def test_enrolling_again_replaces_a_pending_secret_but_not_one_that_is_on(user):
    """A second enrolment before confirming issues a new secret (the old one's codes no longer confirm); once on: 409."""
    first = totp_enrol(user)
    second = totp_enrol(user)
    assert first.secret != second.secret
    stale = call(user.tenant, f"users/{user.user_id}/mfa/totp/confirm", {"code": first.now()})
    assert stale.status_code == 401
    assert call(user.tenant, f"users/{user.user_id}/mfa/totp/confirm", {"code": second.now()}).status_code == 200

    response = call(user.tenant, f"users/{user.user_id}/mfa/totp")
    assert (response.status_code, response.json()["error"]) == (409, "mfa_conflict")


def test_new_recovery_codes_replace_the_old_set(totp_user):
    """POST mfa/recovery-codes: ten new codes; an old one no longer finishes a login, a new one does."""
    user = totp_user.user
    response = call(user.tenant, f"users/{user.user_id}/mfa/recovery-codes")
    assert response.status_code == 200, response.content
    new_codes = response.json()["recovery_codes"]
    assert len(new_codes) == 10 and not set(new_codes) & set(totp_user.recovery_codes)

    old = call(user.tenant, "login/mfa", {"mfa_token": totp_user.mfa_token(), "code": totp_user.recovery_codes[0]})
    assert (old.status_code, old.json()["error"]) == (401, "invalid_mfa_code")
    assert call(user.tenant, "login/mfa", {"mfa_token": totp_user.mfa_token(), "code": new_codes[0]}).status_code == 200


def test_recovery_codes_need_a_factor_on(user):
    """Without a factor there is nothing to back up: 409 mfa_conflict."""
    response = call(user.tenant, f"users/{user.user_id}/mfa/recovery-codes")
    assert (response.status_code, response.json()["error"]) == (409, "mfa_conflict")


def test_removing_totp_turns_it_off_and_drops_the_recovery_codes(totp_user):
    """DELETE mfa/totp: 204; the summary is empty and a login with the password alone gets tokens; again: 404."""
    user = totp_user.user
    assert call(user.tenant, f"users/{user.user_id}/mfa/totp", method="DELETE").status_code == 204
    assert mfa_of(user) == {"totp": False, "passkeys": 0, "recovery_codes_left": 0}
    assert user.row().mfa == {}
    login = call(user.tenant, "login", {"email": user.email, "password": user.password})
    assert "access_token" in login.json()

    again = call(user.tenant, f"users/{user.user_id}/mfa/totp", method="DELETE")
    assert (again.status_code, again.json()["error"]) == (404, "not_found")


def test_a_pending_enrolment_can_be_removed_and_does_not_ask_for_a_code_at_login(user):
    """Pending TOTP is no factor: login gives tokens; DELETE drops it (204)."""
    totp_enrol(user)
    assert "access_token" in call(user.tenant, "login", {"email": user.email, "password": user.password}).json()
    assert call(user.tenant, f"users/{user.user_id}/mfa/totp", method="DELETE").status_code == 204


def test_the_user_list_shows_each_users_summary(tenant, user):
    """GET users carries `mfa` per user, the same summary."""
    totp_turn_on(user)
    results = call(tenant, "users", method="GET").json()["results"]
    assert [row["mfa"] for row in results] == [{"totp": True, "passkeys": 0, "recovery_codes_left": 10}]


def test_mfa_cannot_be_patched(user):
    """`mfa` is read-only on PATCH users/<id>: 400 naming it, nothing changes."""
    response = call(user.tenant, f"users/{user.user_id}", {"mfa": {"totp": True}}, method="PATCH")
    assert response.status_code == 400 and "mfa" in response.json()["fields"]


@pytest.mark.store_independent
@pytest.mark.parametrize(
    "name",
    ["Acme", "A/B Testing & Co", "Colon: Corp", "Ünïcode Café", "Hash #1?", "100% Sure", "Tab\tName"],
)
def test_the_uri_keeps_any_client_name_in_its_place(name):
    """Whatever the client is called, the URI parses back to the same secret, issuer and account (':' is reserved)."""
    from accounts.totp import otpauth_uri, totp_secret_new

    secret = totp_secret_new()
    uri = otpauth_uri(secret, issuer=name, account="ada+1/x@example.com")
    parsed = pyotp.parse_uri(uri)
    expected_issuer = " ".join(name.replace(":", " ").split())
    assert (parsed.secret, parsed.issuer, parsed.name) == (secret, expected_issuer, "ada+1/x@example.com")
    assert urlsplit(uri).path.count("/") == 1 and ":" in unquote(urlsplit(uri).path)


def test_without_a_sealing_key_enrolment_is_refused_and_nothing_is_stored(user, settings):
    """Production without AUTHSVC_SEALING_KEYS: 503 service_unavailable naming the setting; the user has no pending secret."""
    settings.AUTHSVC_SEALING_KEYS = []
    response = call(user.tenant, f"users/{user.user_id}/mfa/totp")
    assert (response.status_code, response.json()["error"]) == (503, "service_unavailable")
    assert "AUTHSVC_SEALING_KEYS" in response.json()["detail"]
    assert user.row().mfa == {}
