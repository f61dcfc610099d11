"""Passkeys through AuthsvcClient against a live authsvc, with the suite's software authenticator playing the
browser (tests/authenticator.py): registration, listing and removal, a passwordless login, and a passkey as
a password login's second factor. The client sets its relying party with update_settings, as a client does."""

from dataclasses import dataclass

import pytest
from conftest import ORIGIN, PASSWORD, RP_ID, passkeys_on, unique_email

from authsvc_client import (
    InvalidMfaCode,
    InvalidPasskey,
    MfaRequired,
    NotFound,
    Passkey,
    PasskeyLoginOptions,
    PasskeysNotConfigured,
    SignupResult,
    TokenPair,
)
from tests.authenticator import SoftAuthenticator

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.store_independent]


@dataclass
class PasskeyUser:
    user: SignupResult
    authenticator: SoftAuthenticator
    passkey: Passkey


@pytest.fixture
def passkey_user(sdk) -> PasskeyUser:
    """A user who registered a passkey: the backend asks for options, the browser creates, the backend sends it."""
    passkeys_on(sdk)
    user = sdk.signup(unique_email(), PASSWORD)
    authenticator = SoftAuthenticator()
    options = sdk.passkey_registration_options(user.user_id)
    passkey = sdk.register_passkey(user.user_id, authenticator.create(options, origin=ORIGIN), name="MacBook")
    return PasskeyUser(user, authenticator, passkey)


def test_registration_answers_the_passkey_and_list_passkeys_shows_it(sdk, passkey_user):
    """register_passkey: its id and name; list_passkeys: that passkey with its dates, no key or credential id."""
    assert isinstance(passkey_user.passkey, Passkey) and passkey_user.passkey.name == "MacBook"
    (listed,) = sdk.list_passkeys(passkey_user.user.user_id)
    assert (listed.passkey_id, listed.name) == (passkey_user.passkey.passkey_id, "MacBook")
    assert listed.created_at is not None and listed.last_used_at is None
    assert set(listed.raw) == {"passkey_id", "name", "created_at", "last_used_at"}


def test_the_registration_options_name_the_clients_relying_party(sdk):
    """passkey_registration_options answers WebAuthn creation options for the rp id the client set."""
    passkeys_on(sdk)
    user = sdk.signup(unique_email(), PASSWORD)
    options = sdk.passkey_registration_options(user.user_id)
    assert options["rp"]["id"] == RP_ID and options["user"]["name"] == user.email and options["challenge"]


@pytest.mark.parametrize("by_email", [True, False], ids=["by-email", "discoverable"])
def test_a_passwordless_login_answers_a_live_pair(sdk, passkey_user, by_email):
    """passkey_login_options (with the email, or none), the authenticator's answer, login_passkey: a TokenPair."""
    options = sdk.passkey_login_options(passkey_user.user.email if by_email else None)
    assert isinstance(options, PasskeyLoginOptions) and options.options["rpId"] == RP_ID
    tokens = sdk.login_passkey(options.challenge_id, passkey_user.authenticator.get(options.options, origin=ORIGIN))
    assert isinstance(tokens, TokenPair) and tokens.user_id == passkey_user.user.user_id
    assert sdk.verify(tokens.access_token).active is True
    assert sdk.list_passkeys(passkey_user.user.user_id)[0].last_used_at is not None


def test_a_challenge_answers_one_credential_then_invalid_passkey(sdk, passkey_user):
    """The same challenge and answer a second time: InvalidPasskey (401 invalid_passkey)."""
    options = sdk.passkey_login_options(passkey_user.user.email)
    credential = passkey_user.authenticator.get(options.options, origin=ORIGIN)
    sdk.login_passkey(options.challenge_id, credential)
    with pytest.raises(InvalidPasskey) as raised:
        sdk.login_passkey(options.challenge_id, credential)
    assert (raised.value.status, raised.value.code) == (401, "invalid_passkey")


def test_a_passkey_is_a_password_logins_second_factor(sdk, passkey_user):
    """login → MfaRequired with "passkey"; login_mfa_passkey_options, the authenticator, login_mfa → the pair;
    an answer from another origin is InvalidMfaCode."""
    step = sdk.login(passkey_user.user.email, PASSWORD)
    assert isinstance(step, MfaRequired) and "passkey" in step.methods
    options = sdk.login_mfa_passkey_options(step.mfa_token)
    with pytest.raises(InvalidMfaCode):
        sdk.login_mfa(step.mfa_token, passkey_credential=passkey_user.authenticator.get(options, origin="https://evil.example"))
    options = sdk.login_mfa_passkey_options(step.mfa_token)
    tokens = sdk.login_mfa(step.mfa_token, passkey_credential=passkey_user.authenticator.get(options, origin=ORIGIN))
    assert tokens.user_id == passkey_user.user.user_id and sdk.verify(tokens.access_token).active


def test_delete_passkey_removes_it(sdk, passkey_user):
    """delete_passkey: the list is empty, a password login is complete again, a second delete is NotFound."""
    sdk.delete_passkey(passkey_user.user.user_id, passkey_user.passkey.passkey_id)
    assert sdk.list_passkeys(passkey_user.user.user_id) == []
    assert isinstance(sdk.login(passkey_user.user.email, PASSWORD), TokenPair)
    with pytest.raises(NotFound):
        sdk.delete_passkey(passkey_user.user.user_id, passkey_user.passkey.passkey_id)


def test_passkey_calls_before_the_relying_party_is_set_are_refused(sdk):
    """No passkey_rp_id: PasskeysNotConfigured (409, a Conflict) for options, login or user alike."""
    user = sdk.signup(unique_email(), PASSWORD)
    for call in (lambda: sdk.passkey_login_options(), lambda: sdk.passkey_registration_options(user.user_id)):
        with pytest.raises(PasskeysNotConfigured) as raised:
            call()
        assert (raised.value.status, raised.value.code) == (409, "passkeys_not_configured")
