"""Tenant isolation on every per-client endpoint: another client's key, tokens or users get nothing."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from accounts.email_tokens import Purpose, email_token_make
from accounts.models import RefreshToken
from accounts.urls import client_api_urlpatterns
from delivery.models import Delivery
from tenants.user_models import user_model_for
from tests.accounts.conftest import PASSWORD, SignedUpUser, call, sign_up
from tests.conftest import Tenant

pytestmark = pytest.mark.django_db(transaction=True)

ROUTES = {str(pattern.pattern) for pattern in client_api_urlpatterns}


@dataclass(frozen=True)
class Endpoint:
    method: str
    route: str  # exactly as in accounts/urls.py
    body: Callable[[SignedUpUser], dict | None]

    def path(self, user: SignedUpUser) -> str:
        return self.route.replace("<uuid:user_id>", user.user_id).replace("<uuid:passkey_id>", str(uuid.UUID(int=1)))


def email_token(user: SignedUpUser, purpose: Purpose) -> str:
    return email_token_make(client=user.tenant.client, user=user.row(), purpose=purpose)


SOME_MFA_TOKEN = "mfa_" + "0" * 32 + "." + "A" * 43  # well formed; another client's real one: tests/accounts/test_mfa_login.py

# Each body is one that would act on the user if the key were right.
ENDPOINTS = {
    "signup": Endpoint("POST", "signup", lambda user: {"email": "eve@example.com", "password": PASSWORD}),
    "login": Endpoint("POST", "login", lambda user: {"email": user.email, "password": user.password}),
    "token-refresh": Endpoint("POST", "token/refresh", lambda user: {"refresh_token": user.refresh_token}),
    "token-verify": Endpoint("POST", "token/verify", lambda user: {"token": user.access_token}),
    "token-revoke": Endpoint("POST", "token/revoke", lambda user: {"token": user.refresh_token}),
    "logout": Endpoint("POST", "logout", lambda user: {"refresh_token": user.refresh_token}),
    "user-list": Endpoint("GET", "users", lambda user: None),
    "user-import": Endpoint("POST", "users/import", lambda user: {"email": "eve@example.com", "password_hash": "x"}),
    "user-export": Endpoint("GET", "users/export", lambda user: None),
    "user-get": Endpoint("GET", "users/<uuid:user_id>", lambda user: None),
    "user-patch": Endpoint("PATCH", "users/<uuid:user_id>", lambda user: {"is_active": False, "custom_fields": {"x": 1}}),
    "user-delete": Endpoint("DELETE", "users/<uuid:user_id>", lambda user: None),
    "user-password": Endpoint(
        "POST", "users/<uuid:user_id>/password", lambda user: {"current_password": user.password, "new_password": "Brand-new-secret-78"}
    ),
    "email-verify": Endpoint("POST", "email/verify", lambda user: {"token": email_token(user, Purpose.VERIFY_EMAIL)}),
    "email-resend": Endpoint("POST", "email/resend", lambda user: {"email": user.email}),
    "password-forgot": Endpoint("POST", "password/forgot", lambda user: {"email": user.email}),
    "password-reset": Endpoint(
        "POST",
        "password/reset",
        lambda user: {"token": email_token(user, Purpose.RESET_PASSWORD), "new_password": "Brand-new-secret-77"},
    ),
    "login-mfa": Endpoint("POST", "login/mfa", lambda user: {"mfa_token": SOME_MFA_TOKEN, "code": "123456"}),
    "login-mfa-totp": Endpoint("POST", "login/mfa/totp", lambda user: {"mfa_token": SOME_MFA_TOKEN}),
    "login-mfa-totp-confirm": Endpoint("POST", "login/mfa/totp/confirm", lambda user: {"mfa_token": SOME_MFA_TOKEN, "code": "123456"}),
    "mfa-totp-enrol": Endpoint("POST", "users/<uuid:user_id>/mfa/totp", lambda user: None),
    "mfa-totp-remove": Endpoint("DELETE", "users/<uuid:user_id>/mfa/totp", lambda user: None),
    "mfa-totp-confirm": Endpoint("POST", "users/<uuid:user_id>/mfa/totp/confirm", lambda user: {"code": "123456"}),
    "mfa-recovery-codes": Endpoint("POST", "users/<uuid:user_id>/mfa/recovery-codes", lambda user: None),
    "login-passkey-options": Endpoint("POST", "login/passkey/options", lambda user: {"email": user.email}),
    "login-passkey": Endpoint("POST", "login/passkey", lambda user: {"challenge_id": str(uuid.uuid4()), "credential": {"id": "x"}}),
    "login-mfa-passkey-options": Endpoint("POST", "login/mfa/passkey/options", lambda user: {"mfa_token": SOME_MFA_TOKEN}),
    "passkey-options": Endpoint("POST", "users/<uuid:user_id>/passkeys/registration/options", lambda user: None),
    "passkey-list": Endpoint("GET", "users/<uuid:user_id>/passkeys", lambda user: None),
    "passkey-register": Endpoint("POST", "users/<uuid:user_id>/passkeys", lambda user: {"credential": {"id": "x"}}),
    "passkey-remove": Endpoint("DELETE", "users/<uuid:user_id>/passkeys/<uuid:passkey_id>", lambda user: None),
}

# Endpoints still to be built answer 404 for every key; only the mounted ones are checked
# (and test_every_mounted_route_is_in_the_table keeps this list complete).
MOUNTED = {name: endpoint for name, endpoint in ENDPOINTS.items() if endpoint.route in ROUTES}


def snapshot(tenant: Tenant) -> tuple[list, list]:
    """Everything of a client that a request could change: its users and its refresh tokens."""
    users = [
        (u.user_id, u.email, u.password_hash, u.custom_fields, u.email_verified, u.is_active, u.mfa, u.mfa_revision, u.updated_at)
        for u in user_model_for(tenant.client.client_id).objects.order_by("user_id")
    ]
    tokens = [
        (t.token_id, t.revoked_at, t.replaced_by) for t in RefreshToken.objects.filter(client=tenant.client).order_by("token_id")
    ]
    return users, tokens


def request(tenant: Tenant, endpoint: Endpoint, user: SignedUpUser, *, key_of: Tenant):
    """`endpoint` on `tenant`'s path with the access key of `key_of`."""
    return call(tenant, endpoint.path(user), endpoint.body(user), method=endpoint.method, **key_of.auth)


def test_every_mounted_route_is_in_the_table():
    """A new per-client endpoint must join the isolation tests."""
    assert ROUTES <= {endpoint.route for endpoint in ENDPOINTS.values()}


@pytest.mark.parametrize("name", sorted(MOUNTED))
def test_a_key_of_another_client_gets_403_and_changes_nothing(tenant, other_tenant, published, name):
    """Client B's key on client A's path: 403 forbidden, no change to A, no mail queued; the one
    event published is the refusal, under B (the key's client)."""
    endpoint = MOUNTED[name]
    victim = sign_up(tenant)
    before = snapshot(tenant)
    queued_before = Delivery.objects.count()
    published.clear()

    response = request(tenant, endpoint, victim, key_of=other_tenant)

    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"
    assert snapshot(tenant) == before
    assert [(event.name, event.reason, event.client_id) for event in published] == [
        ("call.refused", "forbidden", other_tenant.client.client_id)
    ]
    assert Delivery.objects.count() == queued_before


@pytest.mark.parametrize("name", sorted(MOUNTED))
def test_a_request_without_any_key_gets_401(tenant, name):
    """No key at all: 401 unauthorized with WWW-Authenticate, whatever the endpoint."""
    victim = sign_up(tenant)
    endpoint = MOUNTED[name]
    response = call(tenant, endpoint.path(victim), endpoint.body(victim), method=endpoint.method, HTTP_AUTHORIZATION="")
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"
    assert response["WWW-Authenticate"].startswith("Bearer")


def refused_with(status: int, code: str | None = None, field: str | None = None):
    def check(response) -> None:
        assert response.status_code == status, response.content
        if code:
            assert response.json()["error"] == code
        if field:
            assert field in response.json()["fields"]

    return check


def inactive(response) -> None:
    assert response.status_code == 200
    assert response.json() == {"active": False}


def answered_as_revoked(response) -> None:
    """RFC 7009: another client's token is answered as any other, and nothing happens (checked below)."""
    assert (response.status_code, response.content) == (200, b"")


# What client A's tokens, credentials and user ids get on client B's path with B's own key.
FOREIGN_USE = {
    "login": refused_with(401, "invalid_credentials"),
    "token-refresh": refused_with(401, "invalid_token"),
    "token-verify": inactive,
    "token-revoke": answered_as_revoked,
    "logout": refused_with(401, "invalid_token"),
    "user-get": refused_with(404, "not_found"),
    "user-patch": refused_with(404, "not_found"),
    "user-delete": refused_with(404, "not_found"),
    "email-verify": refused_with(400, "invalid_request", "token"),
    "password-reset": refused_with(400, "invalid_request", "token"),
    "mfa-totp-enrol": refused_with(404, "not_found"),
    "mfa-totp-remove": refused_with(404, "not_found"),
    "mfa-totp-confirm": refused_with(404, "not_found"),
    "mfa-recovery-codes": refused_with(404, "not_found"),
}


@pytest.mark.parametrize("name", sorted(set(FOREIGN_USE) & set(MOUNTED)))
def test_tokens_and_users_of_one_client_are_nothing_on_another(tenant, other_tenant, name):
    """Client A's tokens, credentials and user ids presented on B with B's key are refused; A is untouched."""
    endpoint = MOUNTED[name]
    victim = sign_up(tenant)
    sign_up(other_tenant, "bob@example.com")
    before = snapshot(tenant)

    response = request(other_tenant, endpoint, victim, key_of=other_tenant)

    FOREIGN_USE[name](response)
    assert snapshot(tenant) == before
    assert call(tenant, "token/refresh", {"refresh_token": victim.refresh_token}).status_code == 200
