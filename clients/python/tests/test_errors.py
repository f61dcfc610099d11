"""Each error the live service answers raises its own AuthsvcError subclass, carrying the envelope's code,
detail, fields and the HTTP status; codes this version does not know fall back by status."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from conftest import PASSWORD, sdk_for, totp_turned_on, unique_email, wrong_code

from authsvc_client import (
    AccountDisabled,
    AuthsvcClient,
    AuthsvcConnectionError,
    AuthsvcError,
    Conflict,
    EmailNotVerified,
    EmailTaken,
    Forbidden,
    InvalidCredentials,
    InvalidMfaCode,
    InvalidPasskey,
    InvalidToken,
    MfaConflict,
    NotFound,
    PasskeysNotConfigured,
    PayloadTooLarge,
    RateLimited,
    ServerError,
    TokenReused,
    Unauthorized,
    ValidationError,
)
from authsvc_client.errors import BY_CODE, error_from_answer
from tests.conftest import make_tenant
from tests.stores import free_port

pytestmark = pytest.mark.store_independent


@dataclass(frozen=True)
class Refusal:
    name: str
    provoke: Callable  # (sdk, context) -> the call that must raise
    error: type[AuthsvcError]
    status: int
    code: str


def reused_refresh(sdk, context):
    pair = sdk.signup(unique_email(), PASSWORD).tokens
    sdk.refresh(pair.refresh_token)
    sdk.refresh(pair.refresh_token)


def disabled_login(sdk, context):
    user = sdk.signup(unique_email(), PASSWORD)
    sdk.update_user(user.user_id, is_active=False)
    sdk.login(user.email, PASSWORD)


def taken_email(sdk, context):
    sdk.signup("taken@example.com", PASSWORD)
    sdk.signup("TAKEN@example.com", PASSWORD)


def unverified_login(sdk, context):
    strict = sdk_for(context["service"], make_tenant("Strict", require_email_verification=True), context["attempts"])
    strict.signup("ada@example.com", PASSWORD)
    strict.login("ada@example.com", PASSWORD)


def rate_limited_login(sdk, context):
    context["tenant"].client.rate_limits = {"login_email": "0/m"}
    context["tenant"].client.save()
    sdk.login("ada@example.com", PASSWORD)


def wrong_key(sdk, context):
    AuthsvcClient(context["service"], sdk.client_id, "ak_0123456789abcdef.wrong", http_client=context["attempts"].http()).get_settings()


def another_clients_path(sdk, context):
    other = make_tenant("Other")
    AuthsvcClient(context["service"], other.client_id, context["tenant"].access_key, http_client=context["attempts"].http()).get_settings()


def wrong_mfa_code(sdk, context):
    mfa = totp_turned_on(sdk)
    sdk.login_mfa(sdk.login(mfa.user.email, PASSWORD).mfa_token, code=wrong_code(mfa.secret))


def totp_enrolled_twice(sdk, context):
    mfa = totp_turned_on(sdk)
    sdk.enrol_totp(mfa.user.user_id)


def unknown_passkey_challenge(sdk, context):
    sdk.update_settings(passkey_rp_id="app.example.com")
    sdk.login_passkey(str(uuid.uuid4()), {"id": "AAAA", "rawId": "AAAA", "type": "public-key", "response": {}})


def passkeys_not_set(sdk, context):
    sdk.passkey_login_options("ada@example.com")


REFUSALS = [
    Refusal("weak password", lambda sdk, c: sdk.signup("ada@example.com", "123"), ValidationError, 400, "invalid_request"),
    Refusal("wrong key", wrong_key, Unauthorized, 401, "unauthorized"),
    Refusal("wrong password", lambda sdk, c: sdk.login("nobody@example.com", PASSWORD), InvalidCredentials, 401, "invalid_credentials"),
    Refusal("forged refresh token", lambda sdk, c: sdk.refresh("rt_0000.forged"), InvalidToken, 401, "invalid_token"),
    Refusal("refresh token reused", reused_refresh, TokenReused, 401, "token_reused"),
    Refusal("another client's path", another_clients_path, Forbidden, 403, "forbidden"),
    Refusal("email not verified", unverified_login, EmailNotVerified, 403, "email_not_verified"),
    Refusal("account disabled", disabled_login, AccountDisabled, 403, "account_disabled"),
    Refusal("unknown user", lambda sdk, c: sdk.get_user(str(uuid.uuid4())), NotFound, 404, "not_found"),
    Refusal("email taken", taken_email, EmailTaken, 409, "email_taken"),
    Refusal("body too large", lambda sdk, c: sdk.signup("ada@example.com", PASSWORD, {"blob": "x" * 70_000}), PayloadTooLarge, 413, "payload_too_large"),
    Refusal("rate limited", rate_limited_login, RateLimited, 429, "rate_limited"),
    Refusal("wrong mfa code", wrong_mfa_code, InvalidMfaCode, 401, "invalid_mfa_code"),
    Refusal("totp on already", totp_enrolled_twice, MfaConflict, 409, "mfa_conflict"),
    Refusal("unknown passkey challenge", unknown_passkey_challenge, InvalidPasskey, 401, "invalid_passkey"),
    Refusal("passkeys not configured", passkeys_not_set, PasskeysNotConfigured, 409, "passkeys_not_configured"),
]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("sealing_key")
@pytest.mark.parametrize("refusal", REFUSALS, ids=[r.name for r in REFUSALS])
def test_each_refusal_raises_its_class_with_the_envelope(sdk, service, tenant, attempts, refusal):
    """The class of the code, the status, the code and a detail; nothing else raised."""
    with pytest.raises(refusal.error) as raised:
        refusal.provoke(sdk, {"service": service, "tenant": tenant, "attempts": attempts})
    error = raised.value
    assert (error.status, error.code) == (refusal.status, refusal.code)
    assert error.detail and str(refusal.status) in str(error)


@pytest.mark.django_db(transaction=True)
def test_a_refused_export_raises_before_any_user_is_read(service, tenant, attempts):
    """The streamed export's refusal is read and raised like any other answer's, at the first step of the loop."""
    tenant.client.rate_limits = {"transfer_client": "0/h"}
    tenant.client.save()
    users = sdk_for(service, tenant, attempts, retries=0).export_users()
    with pytest.raises(RateLimited) as raised:
        next(users)
    assert raised.value.code == "rate_limited" and raised.value.retry_after >= 1


@pytest.mark.django_db(transaction=True)
def test_a_validation_error_names_each_refused_field(sdk):
    """`fields` is the envelope's: each refused field with its messages."""
    with pytest.raises(ValidationError) as raised:
        sdk.signup("not an email", PASSWORD)
    assert set(raised.value.fields) == {"email"}
    assert raised.value.fields["email"]


@pytest.mark.django_db(transaction=True)
def test_a_rate_limited_call_carries_retry_after_in_seconds(sdk, tenant):
    """RateLimited.retry_after is the Retry-After header, as seconds."""
    with pytest.raises(RateLimited) as raised:
        rate_limited_login(sdk, {"tenant": tenant})
    assert 1 <= raised.value.retry_after <= 60


def test_no_answer_at_all_is_a_connection_error_without_status():
    """A port nothing listens on: AuthsvcConnectionError, status None, no secret in its text."""
    client = AuthsvcClient(f"http://127.0.0.1:{free_port()}", str(uuid.uuid4()), "ak_secret.key", retries=0)
    with pytest.raises(AuthsvcConnectionError) as raised:
        client.login("ada@example.com", "Secret-password-1")
    assert raised.value.status is None
    assert "Secret-password-1" not in str(raised.value) and "ak_secret" not in str(raised.value)


@pytest.mark.parametrize(
    ("status", "body", "error", "code"),
    [
        (409, {"error": "a_future_conflict", "detail": "New."}, Conflict, "a_future_conflict"),
        (401, {"error": "mfa_required_someday", "detail": "New."}, Unauthorized, "mfa_required_someday"),
        (502, None, ServerError, "server_error"),
        (418, {"unexpected": True}, AuthsvcError, "error"),
    ],
    ids=["unknown-409", "unknown-401", "html-502", "no-envelope-418"],
)
def test_a_code_this_version_does_not_know_falls_back_by_status(status, body, error, code):
    """A newer server's code still raises the family of its status; an answer without an envelope too."""
    raised = error_from_answer(status, body, None)
    assert type(raised) is error and (raised.code, raised.status) == (code, status)


def test_every_code_the_service_registers_has_its_class_here():
    """The service's error registry (core.errors) and the SDK agree: each code raises a class of that
    code, so a code added to the service without a class here fails this test."""
    from core.errors import error_classes

    missing = sorted(error.code for error in error_classes() if error.code not in BY_CODE)
    assert missing == []
