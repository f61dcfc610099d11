"""Each attempt announces its outcome once, with the client, user and request metadata: a success
as its own accounts signal, a refusal as the one action_failed that whoever answers it sends."""

import uuid

import pytest

from tests.accounts.conftest import call, log_in, sign_up

pytestmark = pytest.mark.django_db(transaction=True)

END_USER = {"HTTP_X_END_USER_IP": "203.0.113.9", "HTTP_X_END_USER_AGENT": "Browser/1.0 (end user)"}
BACKEND_AGENT = {"HTTP_USER_AGENT": "client-backend/2.0"}


def only_signal(sent_signals, name: str) -> dict:
    """The kwargs of the one signal sent, after checking it is the only one and is `name`."""
    assert [record.signal for record in sent_signals] == [name]
    return sent_signals[0].kwargs


def refreshed_away(user) -> None:
    call(user.tenant, "token/refresh", {"refresh_token": user.refresh_token})


# name: (the request, the signal it must send)
SUCCESSES = {
    "signup": (lambda user: ("signup", "POST", {"email": "eve@example.com", "password": user.password}), "user_signed_up"),
    "login": (lambda user: ("login", "POST", {"email": user.email, "password": user.password}), "user_logged_in"),
    "refresh": (lambda user: ("token/refresh", "POST", {"refresh_token": user.refresh_token}), "token_refreshed"),
    "logout": (lambda user: ("logout", "POST", {"refresh_token": user.refresh_token}), "user_logged_out"),
    "user-update": (lambda user: (f"users/{user.user_id}", "PATCH", {"custom_fields": {"a": 1}}), "user_updated"),
    "user-delete": (lambda user: (f"users/{user.user_id}", "DELETE", None), "user_deleted"),
}


@pytest.mark.parametrize("name", sorted(SUCCESSES))
def test_each_success_sends_its_signal_once_with_client_user_and_end_user_meta(user, sent_signals, name):
    """One signal; client, user_id and the X-End-User-IP/-Agent the client's backend passed."""
    make_request, signal = SUCCESSES[name]
    path, method, body = make_request(user)
    sent_signals.clear()

    response = call(user.tenant, path, body, method=method, **END_USER, **BACKEND_AGENT)

    assert response.status_code < 300, response.content
    kwargs = only_signal(sent_signals, signal)
    assert kwargs["client"] == user.tenant.client
    expected_user = response.json()["user_id"] if name == "signup" else user.user_id
    assert str(kwargs["user_id"]) == expected_user
    assert kwargs["request_meta"].ip_address == "203.0.113.9"
    assert kwargs["request_meta"].user_agent == "Browser/1.0 (end user)"
    assert isinstance(kwargs["metadata"], dict)


def test_without_end_user_headers_the_peer_address_and_agent_are_used(user, sent_signals):
    """No X-End-User-*: the connection's address and the caller's own User-Agent."""
    sent_signals.clear()
    call(user.tenant, "login", {"email": user.email, "password": user.password}, REMOTE_ADDR="198.51.100.4", **BACKEND_AGENT)
    meta = only_signal(sent_signals, "user_logged_in")["request_meta"]
    assert meta.ip_address == "198.51.100.4"
    assert meta.user_agent == "client-backend/2.0"


def test_an_invalid_end_user_ip_falls_back_to_the_peer_address(user, sent_signals):
    """X-End-User-IP must be an IP address; anything else is ignored."""
    sent_signals.clear()
    call(user.tenant, "login", {"email": user.email, "password": user.password}, REMOTE_ADDR="198.51.100.4", HTTP_X_END_USER_IP="not-an-ip")
    assert only_signal(sent_signals, "user_logged_in")["request_meta"].ip_address == "198.51.100.4"


def test_end_user_headers_are_ignored_without_a_valid_key(tenant, sent_signals):
    """A caller without a valid key cannot choose the address that audit and rate limits see."""
    call(
        tenant,
        "login",
        {"email": "ada@example.com", "password": "whatever-it-is"},
        HTTP_AUTHORIZATION="Bearer ak_unknown.secret",
        REMOTE_ADDR="198.51.100.4",
        **END_USER,
    )
    kwargs = only_signal(sent_signals, "action_failed")
    assert (kwargs["action"], kwargs["reason"], kwargs["client"]) == ("login", "unauthorized", None)
    assert kwargs["metadata"] == {"key_problem": "malformed"}
    assert kwargs["request_meta"].ip_address == "198.51.100.4"


@pytest.mark.parametrize(
    ("scenario", "reason", "knows_user"),
    [("wrong-password", "invalid_credentials", True), ("unknown-email", "invalid_credentials", False), ("disabled", "account_disabled", True)],
)
def test_a_failed_login_is_announced_once_with_its_reason_and_user(user, sent_signals, scenario, reason, knows_user):
    """One action_failed for login; the service only raised, the user it found rides on the error."""
    if scenario == "disabled":
        type(user.row()).objects.filter(pk=user.user_id).update(is_active=False)
    email = "nobody@example.com" if scenario == "unknown-email" else user.email
    password = "Not-the-password-1" if scenario == "wrong-password" else user.password
    sent_signals.clear()

    call(user.tenant, "login", {"email": email, "password": password}, **END_USER)

    kwargs = only_signal(sent_signals, "action_failed")
    assert (kwargs["action"], kwargs["reason"]) == ("login", reason)
    assert kwargs["client"] == user.tenant.client
    assert kwargs["user_id"] == (uuid.UUID(user.user_id) if knows_user else None)
    assert kwargs["request_meta"].ip_address == "203.0.113.9"


def test_reuse_of_a_refresh_token_is_announced_once_as_token_reuse(user, sent_signals):
    """A reuse is recorded as its own action (token_reuse), with the family it revoked."""
    refreshed_away(user)
    sent_signals.clear()
    call(user.tenant, "token/refresh", {"refresh_token": user.refresh_token})
    kwargs = only_signal(sent_signals, "action_failed")
    assert (kwargs["action"], kwargs["reason"]) == ("token_reuse", "token_reused")
    assert str(kwargs["user_id"]) == user.user_id
    assert set(kwargs["metadata"]) == {"family_id", "revoked"}


# Every other refusal: one action_failed with the attempted action and the error code.
ACTION_FAILURES = {
    "signup-weak-password": (lambda user: ("signup", "POST", {"email": "eve@example.com", "password": "short"}), "signup", "invalid_request"),
    "signup-taken-email": (lambda user: ("signup", "POST", {"email": user.email, "password": user.password}), "signup", "email_taken"),
    "login-bad-input": (lambda user: ("login", "POST", {"email": 1}), "login", "invalid_request"),
    "refresh-garbage": (lambda user: ("token/refresh", "POST", {"refresh_token": "garbage"}), "token_refresh", "invalid_token"),
    "logout-garbage": (lambda user: ("logout", "POST", {"refresh_token": "garbage"}), "logout", "invalid_token"),
    "user-get-unknown": (lambda user: (f"users/{uuid.uuid4()}", "GET", None), "user_get", "not_found"),
    "user-patch-bad": (lambda user: (f"users/{user.user_id}", "PATCH", {"is_active": "yes"}), "user_update", "invalid_request"),
}


@pytest.mark.parametrize("name", sorted(ACTION_FAILURES))
def test_other_refusals_send_action_failed_once_with_the_action_and_reason(user, sent_signals, name):
    """One action_failed carrying the action, the error code as reason and the request metadata."""
    make_request, action, reason = ACTION_FAILURES[name]
    path, method, body = make_request(user)
    sent_signals.clear()

    response = call(user.tenant, path, body, method=method, **END_USER)

    assert response.status_code >= 400
    kwargs = only_signal(sent_signals, "action_failed")
    assert (kwargs["action"], kwargs["reason"]) == (action, reason)
    assert kwargs["client"] == user.tenant.client
    assert kwargs["request_meta"].ip_address == "203.0.113.9"


def test_no_signal_carries_a_password_or_a_token(tenant, sent_signals):
    """Signal arguments never hold a secret (audit stores them)."""
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
    announced = repr([record.kwargs for record in sent_signals])
    assert len(sent_signals) >= 6
    for secret in secrets:
        assert secret not in announced
