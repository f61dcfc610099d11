"""Each attempt publishes its outcome once, with the client, user and request metadata: a success
as its own accounts event, a refusal as the failure event of whoever decided it (the flow, or the
exception handler for a refusal no flow decided)."""

import uuid

import pytest

from tests.accounts.conftest import call, log_in, sign_up

pytestmark = pytest.mark.django_db(transaction=True)

END_USER = {"HTTP_X_END_USER_IP": "203.0.113.9", "HTTP_X_END_USER_AGENT": "Browser/1.0 (end user)"}
BACKEND_AGENT = {"HTTP_USER_AGENT": "client-backend/2.0"}


def only_event(published, name: str):
    """The one event published, after checking it is the only one and is `name`."""
    assert [event.name for event in published] == [name]
    return published[0]


def refreshed_away(user) -> None:
    call(user.tenant, "token/refresh", {"refresh_token": user.refresh_token})


# name: (the request, the event it must publish)
SUCCESSES = {
    "signup": (lambda user: ("signup", "POST", {"email": "eve@example.com", "password": user.password}), "user.signed_up"),
    "login": (lambda user: ("login", "POST", {"email": user.email, "password": user.password}), "user.logged_in"),
    "refresh": (lambda user: ("token/refresh", "POST", {"refresh_token": user.refresh_token}), "token.refreshed"),
    "logout": (lambda user: ("logout", "POST", {"refresh_token": user.refresh_token}), "user.logged_out"),
    "user-update": (lambda user: (f"users/{user.user_id}", "PATCH", {"custom_fields": {"a": 1}}), "user.updated"),
    "user-delete": (lambda user: (f"users/{user.user_id}", "DELETE", None), "user.deleted"),
}


@pytest.mark.parametrize("name", sorted(SUCCESSES))
def test_each_success_publishes_its_event_once_with_client_user_and_end_user_meta(user, published, name):
    """One event; client_id, user_id and the X-End-User-IP/-Agent the client's backend passed."""
    make_request, event_name = SUCCESSES[name]
    path, method, body = make_request(user)
    published.clear()

    response = call(user.tenant, path, body, method=method, **END_USER, **BACKEND_AGENT)

    assert response.status_code < 300, response.content
    event = only_event(published, event_name)
    assert event.client_id == user.tenant.client.client_id
    expected_user = response.json()["user_id"] if name == "signup" else user.user_id
    assert str(event.user_id) == expected_user
    assert event.request_meta.ip_address == "203.0.113.9"
    assert event.request_meta.user_agent == "Browser/1.0 (end user)"


def test_without_end_user_headers_the_peer_address_and_agent_are_used(user, published):
    """No X-End-User-*: the connection's address and the caller's own User-Agent."""
    published.clear()
    call(user.tenant, "login", {"email": user.email, "password": user.password}, REMOTE_ADDR="198.51.100.4", **BACKEND_AGENT)
    meta = only_event(published, "user.logged_in").request_meta
    assert meta.ip_address == "198.51.100.4"
    assert meta.user_agent == "client-backend/2.0"


def test_an_invalid_end_user_ip_falls_back_to_the_peer_address(user, published):
    """X-End-User-IP must be an IP address; anything else is ignored."""
    published.clear()
    call(user.tenant, "login", {"email": user.email, "password": user.password}, REMOTE_ADDR="198.51.100.4", HTTP_X_END_USER_IP="not-an-ip")
    assert only_event(published, "user.logged_in").request_meta.ip_address == "198.51.100.4"


def test_end_user_headers_are_ignored_without_a_valid_key(tenant, published):
    """A caller without a valid key cannot choose the address that audit and rate limits see."""
    call(
        tenant,
        "login",
        {"email": "ada@example.com", "password": "whatever-it-is"},
        HTTP_AUTHORIZATION="Bearer ak_unknown.secret",
        REMOTE_ADDR="198.51.100.4",
        **END_USER,
    )
    event = only_event(published, "call.refused")
    assert (event.operation, event.reason, event.client_id) == ("login", "unauthorized", None)
    assert event.key_problem == "malformed"
    assert event.request_meta.ip_address == "198.51.100.4"


@pytest.mark.parametrize(
    ("scenario", "event_name", "reason", "knows_user"),
    [
        ("wrong-password", "user.login_failed", "invalid_credentials", True),
        ("unknown-email", "user.login_failed", "invalid_credentials", False),
        ("disabled", "user.login_stopped", "account_disabled", True),
    ],
)
def test_a_failed_login_is_published_once_with_its_reason_and_user(user, published, scenario, event_name, reason, knows_user):
    """One event from the login flow: a wrong password fails, a disabled account stops at its stage."""
    if scenario == "disabled":
        type(user.row()).objects.filter(pk=user.user_id).update(is_active=False)
    email = "nobody@example.com" if scenario == "unknown-email" else user.email
    password = "Not-the-password-1" if scenario == "wrong-password" else user.password
    published.clear()

    call(user.tenant, "login", {"email": email, "password": password}, **END_USER)

    event = only_event(published, event_name)
    assert event.reason == reason
    assert event.client_id == user.tenant.client.client_id
    assert event.user_id == (uuid.UUID(user.user_id) if knows_user else None)
    assert event.request_meta.ip_address == "203.0.113.9"


def test_reuse_of_a_refresh_token_is_published_once_as_reuse_detected(user, published):
    """A reuse is its own event (token.reuse_detected), with the family it revoked."""
    refreshed_away(user)
    published.clear()
    call(user.tenant, "token/refresh", {"refresh_token": user.refresh_token})
    event = only_event(published, "token.reuse_detected")
    assert event.reason == "token_reused"
    assert str(event.user_id) == user.user_id
    assert isinstance(event.family_id, uuid.UUID) and event.revoked == 2


# Every other refusal: one failure event with the error code as reason, from where it was decided.
FAILURES = {
    "signup-weak-password": (lambda user: ("signup", "POST", {"email": "eve@example.com", "password": "short"}), "user.signup_failed", "invalid_request"),
    "signup-taken-email": (lambda user: ("signup", "POST", {"email": user.email, "password": user.password}), "user.signup_failed", "email_taken"),
    "login-bad-input": (lambda user: ("login", "POST", {"email": 1}), "call.refused", "invalid_request"),
    "refresh-garbage": (lambda user: ("token/refresh", "POST", {"refresh_token": "garbage"}), "token.refresh_failed", "invalid_token"),
    "logout-garbage": (lambda user: ("logout", "POST", {"refresh_token": "garbage"}), "user.logout_failed", "invalid_token"),
    "user-get-unknown": (lambda user: (f"users/{uuid.uuid4()}", "GET", None), "call.refused", "not_found"),
    "user-patch-bad": (lambda user: (f"users/{user.user_id}", "PATCH", {"is_active": "yes"}), "call.refused", "invalid_request"),
}


@pytest.mark.parametrize("name", sorted(FAILURES))
def test_other_refusals_publish_one_failure_event_with_the_reason(user, published, name):
    """One failure event carrying the error code as reason and the request metadata."""
    make_request, event_name, reason = FAILURES[name]
    path, method, body = make_request(user)
    published.clear()

    response = call(user.tenant, path, body, method=method, **END_USER)

    assert response.status_code >= 400
    event = only_event(published, event_name)
    assert event.reason == reason
    assert event.client_id == user.tenant.client.client_id
    assert event.request_meta.ip_address == "203.0.113.9"


def test_no_event_carries_a_password_or_a_token(tenant, published):
    """Event payloads never hold a secret (audit stores them, webhooks will send them)."""
    user = sign_up(tenant)
    session = log_in(user)
    rotated = call(tenant, "token/refresh", {"refresh_token": session.refresh_token}).json()
    call(tenant, "token/refresh", {"refresh_token": session.refresh_token})
    call(tenant, "login", {"email": user.email, "password": "Wrong-password-12"})
    call(tenant, "logout", {"refresh_token": user.refresh_token})
    secrets = [
        user.password,
        "Wrong-password-12",
        user.access_token,
        user.refresh_token,
        session.access_token,
        session.refresh_token,
        rotated["refresh_token"],
        tenant.access_key,
    ]
    announced = repr(published)
    assert len(published) >= 6
    for secret in secrets:
        assert secret not in announced
