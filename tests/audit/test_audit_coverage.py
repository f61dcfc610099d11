"""Which calls leave audit records, endpoint by endpoint, as the README lists them.

Calls that change state or check a credential leave exactly one record, success or failure.
Read-only calls (token/verify, user reads, the client read, the audit read) leave one only
when they are refused. A method the path does not take (405) attempted nothing and leaves none.
"""

import uuid

import pyotp
import pytest
from cryptography.fernet import Fernet
from django.test import override_settings

from accounts.email_tokens import Purpose, email_token_make
from tests.accounts.conftest import PASSWORD, call, sign_up, totp_enrol, totp_turn_on
from tests.audit.conftest import records_written_by, request_as

pytestmark = pytest.mark.django_db(transaction=True)

UNKNOWN_KEY = "Bearer ak_" + "0" * 16 + "." + "A" * 43
REGISTER = "/api/v1/clients/register"
SUCCESS, FAILED = "success", "failed"


def posting(path: str, body=None, *, method: str = "POST"):
    """A case that needs nothing prepared: one call to the tenant's `path`."""
    return lambda tenant: lambda: call(tenant, path, body, method=method)


def getting(path: str):
    return posting(path, method="GET")


def registering(body=None, *, method: str = "POST"):
    return lambda tenant: lambda: request_as(REGISTER, body, authorization=None, method=method)


def with_unknown_key(path: str, *, method: str = "GET", body=None):
    return lambda tenant: lambda: request_as(tenant.url(path), body, authorization=UNKNOWN_KEY, method=method)


def login_with_totp():
    def prepare(tenant):
        user = totp_turn_on(sign_up(tenant)).user
        return lambda: call(tenant, "login", {"email": user.email, "password": PASSWORD})

    return prepare


def login_as_user(password: str):
    def prepare(tenant):
        user = sign_up(tenant)
        return lambda: call(tenant, "login", {"email": user.email, "password": password})

    return prepare


def with_refresh_token(path: str):
    def prepare(tenant):
        token = sign_up(tenant).refresh_token
        return lambda: call(tenant, path, {"refresh_token": token})

    return prepare


def revoking(which: str):
    def prepare(tenant):
        token = getattr(sign_up(tenant), which)
        return lambda: call(tenant, "token/revoke", {"token": token})

    return prepare


def verify_live_token(tenant):
    token = sign_up(tenant).access_token
    return lambda: call(tenant, "token/verify", {"token": token})


def with_mailed_token(path: str, purpose: Purpose, **body):
    def prepare(tenant):
        user = sign_up(tenant)
        token = email_token_make(client=tenant.client, user=user.row(), purpose=purpose)
        return lambda: call(tenant, path, {"token": token, **body})

    return prepare


def on_a_user(body=None, *, method: str):
    def prepare(tenant):
        path = f"users/{sign_up(tenant).user_id}"
        return lambda: call(tenant, path, body, method=method)

    return prepare


def on_a_user_path(tail: str, body):
    def prepare(tenant):
        path = f"users/{sign_up(tenant).user_id}/{tail}"
        return lambda: call(tenant, path, body)

    return prepare


def over_the_key_limit(path: str):
    def prepare(tenant):
        tenant.client.rate_limits = {"access_key": "1/m"}
        tenant.client.save(update_fields=["rate_limits"])
        assert call(tenant, path, method="GET").status_code == 200
        return lambda: call(tenant, path, method="GET")

    return prepare


def with_totp(path: str, body=None, *, method: str = "POST"):
    """On a user with TOTP on: `path` under the user, or (starting with login) a login path given its mfa_token."""

    def prepare(tenant):
        totp_user = totp_turn_on(sign_up(tenant))
        if path.startswith("login"):
            answer = {"mfa_token": totp_user.mfa_token(), "code": body(totp_user)}
            return lambda: call(tenant, path, answer)
        return lambda: call(tenant, f"users/{totp_user.user.user_id}/{path}", body, method=method)

    return prepare


def with_webhook_settings(send):
    def sent():
        with override_settings(**WEBHOOK_SETTINGS):
            return send()

    return sent


def on_a_webhook(tail: str = "", *, method: str):
    """A call on a webhook of the tenant's, created first (WEBHOOK_SETTINGS on for both)."""

    def prepare(tenant):
        created = with_webhook_settings(lambda: call(tenant, "webhooks", WEBHOOK))()
        assert created.status_code == 201, created.content
        return with_webhook_settings(lambda: call(tenant, f"webhooks/{created.json()['webhook_id']}{tail}", method=method))

    return prepare


def with_pending_totp(code):
    def prepare(tenant):
        user = sign_up(tenant)
        authenticator = totp_enrol(user)
        return lambda: call(tenant, f"users/{user.user_id}/mfa/totp/confirm", {"code": code(authenticator)})

    return prepare


def enrolling_at_login(path: str):
    """A client requiring a factor and a user without one: its enrolment token, then `path` (a code when confirming)."""

    def prepare(tenant):
        tenant.client.mfa_policy = "required"
        tenant.client.save()
        user = sign_up(tenant)
        token = call(tenant, "login", {"email": user.email, "password": PASSWORD}).json()["mfa_token"]
        if path == "login/mfa/totp":
            return lambda: call(tenant, path, {"mfa_token": token})
        secret = call(tenant, "login/mfa/totp", {"mfa_token": token}).json()["secret"]
        return lambda: call(tenant, path, {"mfa_token": token, "code": pyotp.TOTP(secret).now()})

    return prepare


def wrong_code(authenticator) -> str:
    return "000000" if authenticator.now() != "000000" else "111111"


def creating_a_webhook(tenant):
    return with_webhook_settings(lambda: call(tenant, "webhooks", WEBHOOK))


WEBHOOK = {"url": "http://127.0.0.1:9/hooks", "events": ["user.created"]}
# An http loopback URL is allowed (the switch, and DEBUG for http), and the secret can be sealed (the
# suite runs with DEBUG off, where no sealing key is derived).
WEBHOOK_SETTINGS = {"AUTHSVC_WEBHOOK_ALLOW_PRIVATE": True, "DEBUG": True, "AUTHSVC_SEALING_KEYS": [Fernet.generate_key().decode()]}

NEW_PASSWORD = "Another-horse-battery-7"
NO_SUCH_USER = f"users/{uuid.uuid4()}"

# case: (prepare, HTTP status, records left as (action, outcome))
CASES = {
    # registration
    "register": (registering({"client_name": "Initech", "industry": "SaaS"}), 201, [("client_register", SUCCESS)]),
    "register-invalid": (registering({"client_name": "Initech", "industry": "Alchemy"}), 400, [("client_register", FAILED)]),
    "register-wrong-method": (registering(method="GET"), 405, []),
    # state-changing or credential-checking: one record, success or failure
    "signup": (posting("signup", {"email": "new@example.com", "password": PASSWORD}), 201, [("signup", SUCCESS)]),
    "signup-invalid": (posting("signup", {"email": "not-an-email", "password": PASSWORD}), 400, [("signup", FAILED)]),
    "signup-wrong-method": (getting("signup"), 405, []),
    "login": (login_as_user(PASSWORD), 200, [("login", SUCCESS)]),
    "login-wrong-password": (login_as_user("Wrong-password-42"), 401, [("login", FAILED)]),
    "refresh": (with_refresh_token("token/refresh"), 200, [("token_refresh", SUCCESS)]),
    "refresh-invalid": (posting("token/refresh", {"refresh_token": "not-a-token"}), 401, [("token_refresh", FAILED)]),
    "logout": (with_refresh_token("logout"), 204, [("logout", SUCCESS)]),
    "logout-invalid": (posting("logout", {"refresh_token": "not-a-token"}), 401, [("logout", FAILED)]),
    "revoke": (revoking("refresh_token"), 200, [("token_revoke", SUCCESS)]),
    "revoke-access-token": (revoking("access_token"), 200, [("token_revoke", SUCCESS)]),
    "revoke-garbage": (posting("token/revoke", {"token": "not-a-token"}), 200, [("token_revoke", FAILED)]),
    "revoke-invalid": (posting("token/revoke", {}), 400, [("token_revoke", FAILED)]),
    "revoke-key-refused": (with_unknown_key("token/revoke", method="POST", body={"token": "x"}), 401, [("token_revoke", FAILED)]),
    "email-verify": (with_mailed_token("email/verify", Purpose.VERIFY_EMAIL), 200, [("email_verify", SUCCESS)]),
    "email-verify-invalid": (posting("email/verify", {"token": "not-a-token"}), 400, [("email_verify", FAILED)]),
    "email-resend": (posting("email/resend", {"email": "nobody@example.com"}), 202, [("email_resend", SUCCESS)]),
    "email-resend-invalid": (posting("email/resend", {"email": "not-an-email"}), 400, [("email_resend", FAILED)]),
    "password-forgot": (posting("password/forgot", {"email": "nobody@example.com"}), 202, [("password_forgot", SUCCESS)]),
    "password-forgot-invalid": (posting("password/forgot", {}), 400, [("password_forgot", FAILED)]),
    "password-reset": (with_mailed_token("password/reset", Purpose.RESET_PASSWORD, new_password=NEW_PASSWORD), 200, [("password_reset", SUCCESS)]),
    "password-reset-invalid": (posting("password/reset", {"token": "not-a-token", "new_password": NEW_PASSWORD}), 400, [("password_reset", FAILED)]),
    "password-change": (on_a_user_path("password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD}), 204, [("password_change", SUCCESS)]),
    "password-change-wrong": (on_a_user_path("password", {"current_password": NEW_PASSWORD, "new_password": NEW_PASSWORD}), 401, [("password_change", FAILED)]),
    "password-change-invalid": (on_a_user_path("password", {}), 400, [("password_change", FAILED)]),
    "user-update": (on_a_user({"custom_fields": {"plan": "pro"}}, method="PATCH"), 200, [("user_update", SUCCESS)]),
    "user-update-email": (on_a_user({"email": "new@example.com"}, method="PATCH"), 200, [("user_update", SUCCESS)]),
    "user-update-same-email": (on_a_user({"email": "ada@example.com"}, method="PATCH"), 200, [("user_update", SUCCESS)]),
    "user-update-unknown": (posting(NO_SUCH_USER, {"custom_fields": {}}, method="PATCH"), 404, [("user_update", FAILED)]),
    "user-delete": (on_a_user(method="DELETE"), 204, [("user_delete", SUCCESS)]),
    "user-delete-unknown": (posting(NO_SUCH_USER, method="DELETE"), 404, [("user_delete", FAILED)]),
    # second factors: one record each; a login's second step is recorded as the login it finishes
    "mfa-totp-enrol": (on_a_user_path("mfa/totp", None), 201, [("mfa_totp_enrol", SUCCESS)]),
    "mfa-totp-enrol-unknown": (posting(f"{NO_SUCH_USER}/mfa/totp"), 404, [("mfa_totp_enrol", FAILED)]),
    "mfa-totp-enrol-twice": (with_totp("mfa/totp"), 409, [("mfa_totp_enrol", FAILED)]),
    "mfa-totp-confirm": (with_pending_totp(lambda authenticator: authenticator.now()), 200, [("mfa_totp_confirm", SUCCESS)]),
    "mfa-totp-confirm-wrong": (with_pending_totp(wrong_code), 401, [("mfa_totp_confirm", FAILED)]),
    "mfa-totp-confirm-nothing": (on_a_user_path("mfa/totp/confirm", {"code": "123456"}), 409, [("mfa_totp_confirm", FAILED)]),
    "mfa-totp-confirm-invalid": (on_a_user_path("mfa/totp/confirm", {}), 400, [("mfa_totp_confirm", FAILED)]),
    "mfa-totp-remove": (with_totp("mfa/totp", method="DELETE"), 204, [("mfa_totp_remove", SUCCESS)]),
    "mfa-totp-remove-none": (posting(f"{NO_SUCH_USER}/mfa/totp", method="DELETE"), 404, [("mfa_totp_remove", FAILED)]),
    "mfa-recovery-codes": (with_totp("mfa/recovery-codes"), 200, [("mfa_recovery_codes", SUCCESS)]),
    "mfa-recovery-codes-no-factor": (on_a_user_path("mfa/recovery-codes", None), 409, [("mfa_recovery_codes", FAILED)]),
    "login-mfa-required": (login_with_totp(), 200, [("login_mfa_required", SUCCESS)]),
    "login-mfa": (with_totp("login/mfa", lambda totp_user: totp_user.code()), 200, [("login", SUCCESS)]),
    "login-mfa-recovery-code": (with_totp("login/mfa", lambda totp_user: totp_user.recovery_codes[0]), 200, [("login", SUCCESS)]),
    "login-mfa-wrong": (with_totp("login/mfa", lambda totp_user: wrong_code(totp_user.authenticator)), 401, [("login", FAILED)]),
    "login-mfa-unknown-token": (posting("login/mfa", {"mfa_token": "mfa_" + "0" * 32 + "." + "A" * 43, "code": "123456"}), 401, [("login", FAILED)]),
    "login-mfa-invalid": (posting("login/mfa", {}), 400, [("login_mfa", FAILED)]),
    "login-mfa-totp": (enrolling_at_login("login/mfa/totp"), 201, [("mfa_totp_enrol", SUCCESS)]),
    "login-mfa-totp-confirm": (enrolling_at_login("login/mfa/totp/confirm"), 200, [("login", SUCCESS)]),
    # read-only: a record only when the call is refused
    "verify-active": (verify_live_token, 200, []),
    "verify-inactive": (posting("token/verify", {"token": "not-a-token"}), 200, []),
    "verify-invalid": (posting("token/verify", {}), 400, [("token_verify", FAILED)]),
    "verify-key-refused": (with_unknown_key("token/verify", method="POST", body={"token": "x"}), 401, [("token_verify", FAILED)]),
    "users": (getting("users"), 200, []),
    "users-invalid": (getting("users?limit=0"), 400, [("user_list", FAILED)]),
    "users-rate-limited": (over_the_key_limit("users"), 429, [("rate_limited", FAILED)]),
    "user": (on_a_user(method="GET"), 200, []),
    "user-unknown": (getting(NO_SUCH_USER), 404, [("user_get", FAILED)]),
    "client": (getting(""), 200, []),
    "client-key-refused": (with_unknown_key(""), 401, [("client_get", FAILED)]),
    "client-wrong-method": (posting("", {}), 405, []),
    "client-update": (posting("", {"mail_sender_name": "Acme Support"}, method="PATCH"), 200, [("client_update", SUCCESS)]),
    "client-update-unchanged": (posting("", {"client_name": "Acme"}, method="PATCH"), 200, []),
    "client-update-invalid": (posting("", {"is_active": False}, method="PATCH"), 400, [("client_update", FAILED)]),
    "client-update-key-refused": (with_unknown_key("", method="PATCH", body={}), 401, [("client_update", FAILED)]),
    "audit": (getting("audit"), 200, []),
    "audit-invalid": (getting("audit?status=maybe"), 400, [("audit_list", FAILED)]),
    "audit-key-refused": (with_unknown_key("audit"), 401, [("audit_list", FAILED)]),
    # webhooks: changes leave one record; reads only when refused
    "webhook-create": (creating_a_webhook, 201, [("webhook_create", SUCCESS)]),
    "webhook-create-invalid": (posting("webhooks", {"url": "http://127.0.0.1:9/hooks", "events": []}), 400, [("webhook_create", FAILED)]),
    "webhook-delete": (on_a_webhook(method="DELETE"), 204, [("webhook_delete", SUCCESS)]),
    "webhook-delete-unknown": (posting(f"webhooks/{uuid.uuid4()}", method="DELETE"), 404, [("webhook_delete", FAILED)]),
    "webhook-rotate-secret": (on_a_webhook("/rotate-secret", method="POST"), 200, [("webhook_rotate_secret", SUCCESS)]),
    "webhooks": (getting("webhooks"), 200, []),
    "webhook-deliveries": (on_a_webhook("/deliveries", method="GET"), 200, []),
    "webhook-deliveries-invalid": (on_a_webhook("/deliveries?limit=0", method="GET"), 400, [("webhook_deliveries", FAILED)]),
}


@pytest.mark.parametrize(("prepare", "status", "expected"), CASES.values(), ids=CASES.keys())
def test_records_left_by_one_call(tenant, sealing_key, prepare, status, expected):
    """The call answers its status and leaves exactly the listed records (action, outcome)."""
    send = prepare(tenant)
    response, records = records_written_by(send)
    assert response.status_code == status, response.content[:300]
    assert sorted((record.action, record.status) for record in records) == expected
