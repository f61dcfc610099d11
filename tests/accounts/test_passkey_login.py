"""Passwordless login with a passkey (login/passkey/options, login/passkey), with a software authenticator:
the token pair as login answers it; challenges single-use, short-lived and of their client; the relying
party's origin and id checked; a counter that went back refused and recorded; unknown emails told apart
from no one."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.mfa_events import PasskeyLoggedIn, PasskeyLoginFailed, PasskeySignCountRegressed
from accounts.models import PasskeyChallenge
from audit.models import AuditLog
from tests.accounts.conftest import ORIGIN, RP_ID, call, passkeys_on, register_passkey, sign_up, totp_turn_on
from tests.authenticator import SoftAuthenticator, b64url
from tests.conftest import make_tenant

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.store_independent]


def assert_refused(response, status: int, error: str) -> None:
    assert (response.status_code, response.json()["error"]) == (status, error), response.content


def login_with(passkey_user, answer: dict, credential: dict):
    return call(passkey_user.user.tenant, "login/passkey", {"challenge_id": answer["challenge_id"], "credential": credential})


@pytest.mark.parametrize("by_email", [False, True], ids=["discoverable", "by-email"])
def test_a_passkey_alone_answers_a_live_token_pair(passkey_user, by_email):
    """No password: 200 with the pair; token/verify finds the access token active and the user's."""
    response = passkey_user.log_in(**({"email": passkey_user.user.email} if by_email else {}))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["user_id"] == passkey_user.user.user_id and body["refresh_token"].startswith("rt_")
    verified = call(passkey_user.user.tenant, "token/verify", {"token": body["access_token"]}).json()
    assert (verified["active"], verified["user_id"]) == (True, passkey_user.user.user_id)
    refreshed = call(passkey_user.user.tenant, "token/refresh", {"refresh_token": body["refresh_token"]})
    assert refreshed.status_code == 200


def test_the_options_by_email_list_the_users_passkey(passkey_user):
    """allowCredentials names the passkey registered; without an email the list is empty (discoverable)."""
    by_email = passkey_user.login_options(email=passkey_user.user.email)
    credential_id = passkey_user.authenticator.only.credential_id
    assert by_email["options"]["allowCredentials"] == [{"id": b64url(credential_id), "type": "public-key"}]
    assert by_email["options"]["rpId"] == RP_ID and by_email["options"]["userVerification"] == "preferred"
    assert passkey_user.login_options()["options"]["allowCredentials"] == []


def test_an_unknown_email_gets_options_of_the_same_shape(passkey_user):
    """An email with no account, and one without a passkey, answer like a user's: same keys, one credential
    id of a like length, and the same made-up id on every call (asking twice tells nothing)."""
    sign_up(passkey_user.user.tenant, "no-passkey@example.com")

    def shape(answer: dict) -> dict:
        options = answer["options"]
        return {
            "keys": sorted(answer), "option_keys": sorted(options), "allowed": [sorted(entry) for entry in options["allowCredentials"]],
            "challenge_length": len(options["challenge"]), "timeout": options["timeout"],
        }

    real = passkey_user.login_options(email=passkey_user.user.email)
    for email in ("nobody@example.com", "no-passkey@example.com"):
        first, again = passkey_user.login_options(email=email), passkey_user.login_options(email=email)
        assert shape(first) == shape(real)
        assert first["options"]["allowCredentials"] == again["options"]["allowCredentials"]
        assert first["challenge_id"] != again["challenge_id"]
    nobody = passkey_user.login_options(email="nobody@example.com")
    response = login_with(passkey_user, nobody, passkey_user.authenticator.get(nobody["options"], credential=passkey_user.authenticator.only, origin=ORIGIN))
    assert_refused(response, 401, "invalid_passkey")


def test_a_challenge_answers_one_credential(passkey_user):
    """The same challenge (and the same signed answer) a second time: 401 invalid_passkey."""
    answer = passkey_user.login_options()
    credential = passkey_user.authenticator.get(answer["options"], origin=ORIGIN)
    assert login_with(passkey_user, answer, credential).status_code == 200
    assert_refused(login_with(passkey_user, answer, credential), 401, "invalid_passkey")
    again = passkey_user.authenticator.get(answer["options"], origin=ORIGIN)
    assert_refused(login_with(passkey_user, answer, again), 401, "invalid_passkey")


def test_an_expired_challenge_is_refused(passkey_user):
    """A challenge past its five minutes (its expiry moved back in the table): 401, however right the signature."""
    answer = passkey_user.login_options()
    PasskeyChallenge.objects.filter(pk=answer["challenge_id"]).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert_refused(login_with(passkey_user, answer, passkey_user.authenticator.get(answer["options"], origin=ORIGIN)), 401, "invalid_passkey")


def test_a_challenge_lives_five_minutes(passkey_user):
    """The row's expiry is five minutes after the options, and the options' timeout says the same."""
    answer = passkey_user.login_options()
    row = PasskeyChallenge.objects.get(pk=answer["challenge_id"])
    assert timedelta(seconds=295) < row.expires_at - row.created_at <= timedelta(seconds=300)
    assert answer["options"]["timeout"] == 300_000


@pytest.mark.parametrize(
    "origin, rp_id",
    [("https://evil.example", None), ("http://app.example.com", None), (ORIGIN, "example.com"), (ORIGIN, "evil.example")],
    ids=["other-origin", "http-origin", "parent-rp-id", "other-rp-id"],
)
def test_another_origin_or_relying_party_is_refused(passkey_user, origin, rp_id):
    """An assertion made on another page, or for another rp id, signed by the right key: 401 invalid_passkey."""
    answer = passkey_user.login_options()
    credential = passkey_user.authenticator.get(answer["options"], origin=origin, rp_id=rp_id, credential=passkey_user.authenticator.only)
    assert_refused(login_with(passkey_user, answer, credential), 401, "invalid_passkey")


def test_a_counter_that_goes_back_is_refused_and_recorded(passkey_user, published):
    """A right signature whose counter is not above the last one seen (a copied key): 401, and an audit record
    `passkey_sign_count` names the passkey and both counts."""
    assert passkey_user.log_in().status_code == 200
    seen = passkey_user.authenticator.only.sign_count
    passkey_user.authenticator.only.sign_count = seen - 1  # the copy's next signature carries `seen` again
    assert_refused(passkey_user.log_in(), 401, "invalid_passkey")

    regressed = [event for event in published if isinstance(event, PasskeySignCountRegressed)]
    assert [(str(e.passkey_id), e.sign_count, e.stored_sign_count, e.via) for e in regressed] == [(passkey_user.passkey_id, seen, seen, "login")]
    record = AuditLog.objects.get(action="passkey_sign_count")
    assert (record.status, record.reason, str(record.user_id)) == ("failed", "sign_count_regressed", passkey_user.user.user_id)
    assert passkey_user.log_in().status_code == 200  # the real authenticator, counting on, still works


def test_an_authenticator_without_a_counter_logs_in_every_time(passkey_tenant):
    """A counter that stays 0 (many synced passkeys keep none) is no regression."""
    user = sign_up(passkey_tenant)
    authenticator = SoftAuthenticator(counts=False)
    register_passkey(user, authenticator)
    for _ in range(2):
        answer = call(passkey_tenant, "login/passkey/options", {}).json()
        credential = authenticator.get(answer["options"], origin=ORIGIN)
        assert call(passkey_tenant, "login/passkey", {"challenge_id": answer["challenge_id"], "credential": credential}).status_code == 200


def test_a_login_is_published_as_a_passkey_login(passkey_user, published):
    """passkey.logged_in with the passkey's id, recorded as a successful `login`; a refused one as a failed `login`."""
    assert passkey_user.log_in().status_code == 200
    done = [event for event in published if isinstance(event, PasskeyLoggedIn)]
    assert [(str(event.passkey_id), event.user_verified) for event in done] == [(passkey_user.passkey_id, True)]
    answer = passkey_user.login_options()
    login_with(passkey_user, answer, {"id": "x", "rawId": "x", "type": "public-key", "response": {}})
    failed = [event for event in published if isinstance(event, PasskeyLoginFailed)]
    assert [(event.reason, event.problem) for event in failed] == [("invalid_passkey", "malformed")]
    assert list(AuditLog.objects.filter(action="login").values_list("status", flat=True).order_by("timestamp")) == ["success", "failed"]


@pytest.mark.parametrize(
    "credential",
    [{}, {"id": 1}, {"id": "a", "rawId": "b", "type": "public-key", "response": {"clientDataJSON": "%%%"}}, "a string", [1]],
    ids=["empty", "number-id", "bad-base64", "string", "list"],
)
def test_a_malformed_credential_is_refused(passkey_user, credential):
    """Anything but a credential: 400 for what is not an object, 401 invalid_passkey for an object that is not one."""
    answer = passkey_user.login_options()
    response = login_with(passkey_user, answer, credential)
    assert response.status_code == (400 if not isinstance(credential, dict) else 401), response.content


def test_a_disabled_account_is_refused_after_the_passkey(passkey_user):
    """As at login: 403 account_disabled, only to someone who proved the passkey."""
    assert call(passkey_user.user.tenant, f"users/{passkey_user.user.user_id}", {"is_active": False}, method="PATCH").status_code == 200
    assert_refused(passkey_user.log_in(), 403, "account_disabled")


@pytest.mark.usefixtures("sealing_key")
def test_the_passkey_is_the_second_factor_too(passkey_user):
    """A user with TOTP on logs in with the passkey alone: no mfa_required step."""
    totp_turn_on(passkey_user.user)
    response = passkey_user.log_in()
    assert response.status_code == 200 and "access_token" in response.json()


def test_without_an_rp_id_the_passkey_calls_say_which_setting(tenant):
    """409 passkeys_not_configured naming passkey_rp_id, for options and login alike."""
    for path, body in (("login/passkey/options", {}), ("login/passkey", {"challenge_id": "6f1c2ad2-3c36-4f5e-9b55-2f4f8f7a0c11", "credential": {}})):
        response = call(tenant, path, body)
        assert_refused(response, 409, "passkeys_not_configured")
        assert "passkey_rp_id" in response.json()["detail"]


def test_another_clients_challenge_and_passkey_do_not_work(passkey_user):
    """Client A's challenge at client B: 401; A's passkey (its user handle names A's user) on B's challenge: 401."""
    other = passkeys_on(make_tenant("Globex", "E-commerce"))
    answer = passkey_user.login_options()
    credential = passkey_user.authenticator.get(answer["options"], origin=ORIGIN)
    response = call(other, "login/passkey", {"challenge_id": answer["challenge_id"], "credential": credential})
    assert_refused(response, 401, "invalid_passkey")
    at_other = call(other, "login/passkey/options", {}).json()
    credential = passkey_user.authenticator.get(at_other["options"], origin=ORIGIN)
    assert_refused(call(other, "login/passkey", {"challenge_id": at_other["challenge_id"], "credential": credential}), 401, "invalid_passkey")


def test_the_options_never_show_a_key(passkey_user):
    """The options carry ids and the challenge only: no public key, no counter."""
    text = json.dumps(passkey_user.login_options(email=passkey_user.user.email))
    stored = passkey_user.user.row().mfa["passkeys"][0]
    assert stored["public_key"] not in text and "sign_count" not in text


@pytest.mark.parametrize(
    ("limit", "headers", "body"),
    [("login_ip", {"HTTP_X_END_USER_IP": "203.0.113.7"}, {}), ("login_email", {}, {"email": "ada@example.com"})],
)
def test_passkey_options_count_in_logins_limits(passkey_tenant, limit, headers, body):
    """Over a client's login_ip (per end-user address) or login_email (per email) rate: 429 rate_limited."""
    passkey_tenant.client.rate_limits = {limit: "2/h"}
    passkey_tenant.client.save()
    for _ in range(2):
        assert call(passkey_tenant, "login/passkey/options", body, **headers).status_code == 200
    assert_refused(call(passkey_tenant, "login/passkey/options", body, **headers), 429, "rate_limited")


def test_passkey_logins_count_in_the_users_login_email_bucket(passkey_user):
    """login/passkey counts against the email of the user its passkey names, like a password login."""
    tenant = passkey_user.user.tenant
    tenant.client.rate_limits = {"login_email": "1/h"}
    tenant.client.save()
    answer = call(tenant, "login/passkey/options", {}).json()  # no email: login_email not counted here
    credential = passkey_user.authenticator.get(answer["options"], origin=ORIGIN)
    assert login_with(passkey_user, answer, credential).status_code == 200
    answer = call(tenant, "login/passkey/options", {}).json()
    credential = passkey_user.authenticator.get(answer["options"], origin=ORIGIN)
    assert_refused(login_with(passkey_user, answer, credential), 429, "rate_limited")


def test_an_unverified_email_is_refused_where_the_client_requires_it(passkey_tenant):
    """As at login: with required verification, 403 email_not_verified after a right passkey; once verified, 200."""
    user = sign_up(passkey_tenant)
    authenticator = SoftAuthenticator()
    register_passkey(user, authenticator)
    passkey_tenant.client.require_email_verification = True
    passkey_tenant.client.save()

    def log_in():
        answer = call(passkey_tenant, "login/passkey/options", {}).json()
        credential = authenticator.get(answer["options"], origin=ORIGIN)
        return call(passkey_tenant, "login/passkey", {"challenge_id": answer["challenge_id"], "credential": credential})

    assert_refused(log_in(), 403, "email_not_verified")
    assert call(passkey_tenant, f"users/{user.user_id}", {"email_verified": True}, method="PATCH").status_code == 200
    assert log_in().status_code == 200
