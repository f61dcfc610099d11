"""A user's passkeys over the API (users/{id}/passkeys...), with a software authenticator: registration
options and the credential that answers them, the list (no key material), removal, and what refuses a
registration (another origin or rp id, a used or expired challenge, another client, no rp id set)."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.mfa_events import PasskeyRegistered, PasskeyRegisterFailed, PasskeyRemoved
from accounts.models import PasskeyChallenge
from tests.accounts.conftest import ORIGIN, RP_ID, call, passkeys_on, register_passkey, sign_up
from tests.authenticator import SoftAuthenticator, b64url, from_b64url
from tests.conftest import make_tenant

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.store_independent]


def options_for(user) -> dict:
    response = call(user.tenant, f"users/{user.user_id}/passkeys/registration/options")
    assert response.status_code == 200, response.content
    return response.json()


def register(user, credential: dict, **body):
    return call(user.tenant, f"users/{user.user_id}/passkeys", {"credential": credential, **body})


def assert_credential_refused(response) -> None:
    assert (response.status_code, response.json()["error"]) == (400, "invalid_request"), response.content
    assert "credential" in response.json()["fields"]


@pytest.fixture
def user(passkey_tenant):
    return sign_up(passkey_tenant)


def test_the_creation_options_name_the_client_and_the_user(user):
    """rp {id, name} from the client's settings, the user handle the user_id's bytes, P-256 among the algorithms."""
    options = options_for(user)
    assert options["rp"] == {"id": RP_ID, "name": "Acme"}
    assert options["user"]["name"] == options["user"]["displayName"] == user.email
    assert from_b64url(options["user"]["id"]).hex() == user.user_id.replace("-", "")
    assert {"type": "public-key", "alg": -7} in options["pubKeyCredParams"]
    assert options["authenticatorSelection"] == {"residentKey": "preferred", "requireResidentKey": False, "userVerification": "preferred"}
    assert (options["attestation"], options["timeout"], options["excludeCredentials"]) == ("none", 300_000, [])


def test_a_registered_passkey_is_listed_without_key_material(user, published):
    """201 {passkey_id, name}; the list shows id, name and dates only; GET users/{id} counts it; passkey.registered."""
    authenticator = SoftAuthenticator()
    created = register_passkey(user, authenticator, name="MacBook")
    assert set(created) == {"passkey_id", "name"} and created["name"] == "MacBook"

    listed = call(user.tenant, f"users/{user.user_id}/passkeys", method="GET").json()["passkeys"]
    assert [set(entry) for entry in listed] == [{"passkey_id", "name", "created_at", "last_used_at"}]
    assert (listed[0]["passkey_id"], listed[0]["last_used_at"]) == (created["passkey_id"], None)
    stored = user.row().mfa["passkeys"][0]
    text = json.dumps(listed)
    assert stored["public_key"] not in text and stored["credential_id"] not in text
    assert call(user.tenant, f"users/{user.user_id}", method="GET").json()["mfa"]["passkeys"] == 1
    registered = [event for event in published if isinstance(event, PasskeyRegistered)]
    assert [(str(event.passkey_id), event.passkeys, event.user_verified) for event in registered] == [(created["passkey_id"], 1, True)]


def test_a_second_registration_excludes_the_first_passkey(user):
    """excludeCredentials lists the passkeys the user has; a second passkey is listed beside the first."""
    first = SoftAuthenticator()
    register_passkey(user, first)
    options = options_for(user)
    assert [entry["id"] for entry in options["excludeCredentials"]] == [b64url(first.only.credential_id)]
    register_passkey(user, SoftAuthenticator(), name="YubiKey")
    names = [entry["name"] for entry in call(user.tenant, f"users/{user.user_id}/passkeys", method="GET").json()["passkeys"]]
    assert names == ["Passkey", "YubiKey"]


def test_the_same_credential_id_twice_is_a_conflict(user):
    """A credential id the user has already, on fresh options: 409 mfa_conflict, still one passkey."""
    authenticator = SoftAuthenticator()
    register_passkey(user, authenticator)
    again = authenticator.create(options_for(user), origin=ORIGIN, credential_id=authenticator.only.credential_id)
    response = register(user, again)
    assert (response.status_code, response.json()["error"]) == (409, "mfa_conflict")
    assert len(user.row().mfa["passkeys"]) == 1


@pytest.mark.parametrize(
    "origin, rp_id",
    [("https://evil.example", None), ("http://app.example.com", None), (ORIGIN, "example.com"), (ORIGIN, "evil.example")],
    ids=["other-origin", "http-origin", "parent-rp-id", "other-rp-id"],
)
def test_a_credential_of_another_origin_or_rp_id_is_refused(user, origin, rp_id, published):
    """400 invalid_request naming credential; nothing stored; passkey.register_failed (verification)."""
    credential = SoftAuthenticator().create(options_for(user), origin=origin, rp_id=rp_id)
    assert_credential_refused(register(user, credential))
    assert not user.row().mfa.get("passkeys")
    failed = [(event.reason, event.problem) for event in published if isinstance(event, PasskeyRegisterFailed)]
    assert failed == [("invalid_request", "verification")]


def test_a_registration_challenge_answers_once(user):
    """The options' challenge after a registration (or a refused try): 400, however well signed."""
    options = options_for(user)
    authenticator = SoftAuthenticator()
    assert register(user, authenticator.create(options, origin=ORIGIN)).status_code == 201
    assert_credential_refused(register(user, authenticator.create(options, origin=ORIGIN)))
    options = options_for(user)
    assert_credential_refused(register(user, authenticator.create(options, origin="https://evil.example")))
    assert_credential_refused(register(user, authenticator.create(options, origin=ORIGIN)))


def test_an_expired_registration_challenge_is_refused(user):
    """Options older than five minutes (their expiry moved back in the table): 400."""
    options = options_for(user)
    PasskeyChallenge.objects.filter(client=user.tenant.client).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert_credential_refused(register(user, SoftAuthenticator().create(options, origin=ORIGIN)))


def test_options_of_one_user_do_not_register_for_another(user):
    """A credential answering user A's options, sent for user B: 400, nothing stored for either."""
    other = sign_up(user.tenant, "bob@example.com")
    credential = SoftAuthenticator().create(options_for(user), origin=ORIGIN)
    assert_credential_refused(register(other, credential))
    assert not other.row().mfa.get("passkeys") and not user.row().mfa.get("passkeys")


def test_another_client_reaches_neither_the_user_nor_the_challenge(user):
    """Client B's key with A's user id: 404 on every passkey path; A's options answered at B: 404 too."""
    other = passkeys_on(make_tenant("Globex", "E-commerce"))
    credential = SoftAuthenticator().create(options_for(user), origin=ORIGIN)
    for path, method, body in (
        (f"users/{user.user_id}/passkeys/registration/options", "POST", None),
        (f"users/{user.user_id}/passkeys", "POST", {"credential": credential}),
        (f"users/{user.user_id}/passkeys", "GET", None),
        (f"users/{user.user_id}/passkeys/6f1c2ad2-3c36-4f5e-9b55-2f4f8f7a0c11", "DELETE", None),
    ):
        response = call(other, path, body, method=method)
        assert (response.status_code, response.json()["error"]) == (404, "not_found"), path
    stranger = sign_up(other, "eve@example.com")
    assert_credential_refused(register(stranger, credential))
    assert register(user, credential).status_code == 201  # the challenge was A's: still unspent at A


def test_removal_lists_it_no_more_and_it_logs_in_no_more(user, published):
    """DELETE answers 204; the list is empty, the count 0, the passkey refused at login; again: 404."""
    authenticator = SoftAuthenticator()
    passkey_id = register_passkey(user, authenticator)["passkey_id"]
    assert call(user.tenant, f"users/{user.user_id}/passkeys/{passkey_id}", method="DELETE").status_code == 204
    assert call(user.tenant, f"users/{user.user_id}/passkeys", method="GET").json() == {"passkeys": []}
    assert call(user.tenant, f"users/{user.user_id}", method="GET").json()["mfa"]["passkeys"] == 0
    answer = call(user.tenant, "login/passkey/options", {}).json()
    credential = authenticator.get(answer["options"], origin=ORIGIN)
    response = call(user.tenant, "login/passkey", {"challenge_id": answer["challenge_id"], "credential": credential})
    assert (response.status_code, response.json()["error"]) == (401, "invalid_passkey")
    assert call(user.tenant, f"users/{user.user_id}/passkeys/{passkey_id}", method="DELETE").status_code == 404
    assert [str(event.passkey_id) for event in published if isinstance(event, PasskeyRemoved)] == [passkey_id]


def test_the_tenth_passkey_is_the_last(user):
    """With 10 passkeys, new options answer 409 mfa_conflict."""
    for _ in range(10):
        register_passkey(user, SoftAuthenticator())
    response = call(user.tenant, f"users/{user.user_id}/passkeys/registration/options")
    assert (response.status_code, response.json()["error"]) == (409, "mfa_conflict")


@pytest.mark.parametrize(
    "body", [{}, {"credential": "text"}, {"credential": {}, "name": 5}, {"credential": {}, "name": "x" * 65}, {"credential": {}, "extra": 1}]
)
def test_a_malformed_body_is_a_400(user, body):
    """credential must be an object, name text of at most 64 characters, and nothing else is taken."""
    response = call(user.tenant, f"users/{user.user_id}/passkeys", body)
    assert (response.status_code, response.json()["error"]) == (400, "invalid_request"), response.content


def test_without_an_rp_id_registration_says_which_setting(tenant):
    """409 passkeys_not_configured naming passkey_rp_id; no challenge is stored."""
    user = sign_up(tenant)
    response = call(tenant, f"users/{user.user_id}/passkeys/registration/options")
    assert (response.status_code, response.json()["error"]) == (409, "passkeys_not_configured")
    assert "passkey_rp_id" in response.json()["detail"]
    assert not PasskeyChallenge.objects.exists()


def test_patch_of_a_user_with_a_passkey_answers_its_summary(user):
    """PATCH users/{id} answers the user with `mfa.passkeys` counted (its answer was once rendered twice: a 500)."""
    register_passkey(user, SoftAuthenticator())
    response = call(user.tenant, f"users/{user.user_id}", {"custom_fields": {"plan": "pro"}}, method="PATCH")
    assert response.status_code == 200, response.content
    assert response.json()["mfa"] == {"totp": False, "passkeys": 1, "recovery_codes_left": 0}
