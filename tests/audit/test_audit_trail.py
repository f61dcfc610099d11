"""Every attempt leaves exactly one audit record, with who, what, the outcome and where from."""

import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from tenants.services import access_key_rotate
from tests.accounts.conftest import PASSWORD, SignedUpUser, call, sign_up
from tests.audit.conftest import only_record_written_by, request_as, serialized
from tests.conftest import Tenant, make_tenant

pytestmark = pytest.mark.django_db(transaction=True)

WRONG_PASSWORD = "Wrong-horse-battery-staple-9"
WEAK_PASSWORD = "Zq9!x"  # too short: refused by the validators, and distinctive enough to search for
UNKNOWN_KEY = "ak_" + "0" * 16 + "." + "A" * 43
REGISTER = "/api/v1/clients/register"
SECRET_RESPONSE_FIELDS = ("access_token", "refresh_token", "access_key")


@dataclass
class Scene:
    """What a case acts on; the user and the other client are made only when a case asks for them."""

    tenant: Tenant
    secrets: list[str] = field(default_factory=list)
    _user: SignedUpUser | None = None
    _other: Tenant | None = None

    def __post_init__(self):
        self.keep_secret(PASSWORD, WEAK_PASSWORD, self.tenant.access_key)

    def keep_secret(self, *values: str) -> None:
        self.secrets.extend(values)

    @property
    def user(self) -> SignedUpUser:
        if self._user is None:
            self._user = sign_up(self.tenant)
            self.keep_secret(self._user.access_token, self._user.refresh_token)
        return self._user

    @property
    def other(self) -> Tenant:
        if self._other is None:
            self._other = make_tenant("Globex", "E-commerce")
            self.keep_secret(self._other.access_key)
        return self._other

    @property
    def made_user_id(self) -> str | None:
        """The user's id if a case signed one up, without signing one up."""
        return self._user.user_id if self._user else None

    def login(self, email: str, password: str = PASSWORD, **extra):
        return call(self.tenant, "login", {"email": email, "password": password}, **extra)


def _secret_parts(value: str) -> list[str]:
    """The value, and for an access key its secret half too (the key_id half is public)."""
    return [value, value.split(".", 1)[1]] if value.startswith("ak_") else [value]


# --- the cases: each prepares what it needs and returns the one request to audit ----------------
# (values are read before the lambda, so that preparing never happens inside the counted request)


def signup_new(scene):
    return lambda: call(scene.tenant, "signup", {"email": "new@example.com", "password": PASSWORD})


def signup_taken_email(scene):
    email = scene.user.email
    return lambda: call(scene.tenant, "signup", {"email": email, "password": PASSWORD})


def signup_weak_password(scene):
    return lambda: call(scene.tenant, "signup", {"email": "new@example.com", "password": WEAK_PASSWORD})


def login_ok(scene):
    email = scene.user.email
    return lambda: scene.login(email)


def login_wrong_password(scene):
    email = scene.user.email
    return lambda: scene.login(email, password=WRONG_PASSWORD)


def login_unknown_email(scene):
    return lambda: scene.login("nobody@example.com")


def login_disabled_account(scene):
    disabled = call(scene.tenant, f"users/{scene.user.user_id}", {"is_active": False}, method="PATCH")
    assert disabled.status_code == 200
    email = scene.user.email
    return lambda: scene.login(email)


def refresh_ok(scene):
    token = scene.user.refresh_token
    return lambda: call(scene.tenant, "token/refresh", {"refresh_token": token})


def refresh_reused(scene):
    spent = scene.user.refresh_token
    first = call(scene.tenant, "token/refresh", {"refresh_token": spent})
    assert first.status_code == 200
    scene.keep_secret(*(first.json()[name] for name in ("access_token", "refresh_token")))
    return lambda: call(scene.tenant, "token/refresh", {"refresh_token": spent})


def refresh_garbage(scene):
    return lambda: call(scene.tenant, "token/refresh", {"refresh_token": "not-a-token"})


def logout(scene):
    token = scene.user.refresh_token
    return lambda: call(scene.tenant, "logout", {"refresh_token": token})


def user_patch(scene):
    path = f"users/{scene.user.user_id}"
    return lambda: call(scene.tenant, path, {"custom_fields": {"plan": "pro"}}, method="PATCH")


def user_delete(scene):
    path = f"users/{scene.user.user_id}"
    return lambda: call(scene.tenant, path, method="DELETE")


def _login_with(authorization: str | None, path_tenant: Callable[[Scene], Tenant] = lambda scene: scene.tenant):
    def prepare(scene):
        url = path_tenant(scene).url("login")
        return lambda: request_as(url, {"email": "ada@example.com", "password": PASSWORD}, authorization=authorization)

    return prepare


def key_revoked(scene):
    revoked = scene.tenant.access_key
    scene.keep_secret(access_key_rotate(client=scene.tenant.client, revoke_existing=True))
    return _login_with(f"Bearer {revoked}")(scene)


def key_of_another_client(scene):
    url = scene.other.url("login")
    return lambda: request_as(url, {"email": "ada@example.com", "password": PASSWORD}, authorization=f"Bearer {scene.tenant.access_key}")


def register_ok(scene):
    return lambda: request_as(REGISTER, {"client_name": "Initech", "industry": "SaaS"}, authorization=None)


def register_bad_industry(scene):
    return lambda: request_as(REGISTER, {"client_name": "Initech", "industry": "Alchemy"}, authorization=None)


# Who a record names: OWN = the scene's client / user, CREATED = the one the request created.
OWN, CREATED, NONE = "own", "created", None


@dataclass(frozen=True)
class Expected:
    http: int
    action: str
    status: str
    reason: str = ""
    user: str | None = NONE
    client: str | None = OWN


CASES = [
    pytest.param(signup_new, Expected(201, "signup", "success", user=CREATED), id="signup"),
    pytest.param(signup_taken_email, Expected(409, "signup", "failed", "email_taken"), id="signup-email-taken"),
    pytest.param(signup_weak_password, Expected(400, "signup", "failed", "invalid_request"), id="signup-invalid-password"),
    pytest.param(login_ok, Expected(200, "login", "success", user=OWN), id="login"),
    pytest.param(login_wrong_password, Expected(401, "login", "failed", "invalid_credentials", user=OWN), id="login-wrong-password"),
    pytest.param(login_unknown_email, Expected(401, "login", "failed", "invalid_credentials"), id="login-unknown-email"),
    pytest.param(login_disabled_account, Expected(403, "login", "failed", "account_disabled", user=OWN), id="login-disabled"),
    pytest.param(refresh_ok, Expected(200, "token_refresh", "success", user=OWN), id="refresh"),
    pytest.param(refresh_reused, Expected(401, "token_reuse", "failed", "token_reused", user=OWN), id="refresh-reuse"),
    pytest.param(refresh_garbage, Expected(401, "token_refresh", "failed", "invalid_token"), id="refresh-garbage"),
    pytest.param(logout, Expected(204, "logout", "success", user=OWN), id="logout"),
    pytest.param(user_patch, Expected(200, "user_update", "success", user=OWN), id="user-patch"),
    pytest.param(user_delete, Expected(204, "user_delete", "success", user=OWN), id="user-delete"),
    pytest.param(_login_with(None), Expected(401, "login", "failed", "unauthorized", client=NONE), id="key-missing"),
    pytest.param(_login_with("Bearer not-a-key"), Expected(401, "login", "failed", "unauthorized", client=NONE), id="key-malformed"),
    pytest.param(_login_with(f"Bearer {UNKNOWN_KEY}"), Expected(401, "login", "failed", "unauthorized", client=NONE), id="key-unknown"),
    pytest.param(key_revoked, Expected(401, "login", "failed", "unauthorized", client=NONE), id="key-revoked"),
    pytest.param(key_of_another_client, Expected(403, "login", "failed", "forbidden"), id="key-of-another-client"),
    pytest.param(register_ok, Expected(201, "client_register", "success", client=CREATED), id="registration"),
    pytest.param(register_bad_industry, Expected(400, "client_register", "failed", "invalid_request", client=NONE), id="registration-invalid"),
]


def _expected_id(who: str | None, own: str | None, created: str | None) -> str | None:
    return {OWN: own, CREATED: created, NONE: None}[who]


@pytest.mark.parametrize(("prepare", "expected"), CASES)
def test_each_attempt_leaves_exactly_one_record(tenant, prepare, expected):
    """One request → one record with the right action, status, reason, client and user, and no secret."""
    scene = Scene(tenant)
    send = prepare(scene)
    response, record = only_record_written_by(send)
    assert response.status_code == expected.http, response.content
    body = response.json() if response.content else {}
    scene.keep_secret(*(body[name] for name in SECRET_RESPONSE_FIELDS if name in body))

    assert (record.action, record.status, record.reason) == (expected.action, expected.status, expected.reason)
    assert _str(record.user_id) == _expected_id(expected.user, scene.made_user_id, body.get("user_id"))
    assert _str(record.client_id) == _expected_id(expected.client, tenant.client_id, body.get("client_id"))
    assert record.ip_address == "127.0.0.1"
    leaked = [part for secret in scene.secrets for part in _secret_parts(secret) if part in serialized(record)]
    assert leaked == []


def _str(value: uuid.UUID | None) -> str | None:
    return str(value) if value is not None else None


def test_each_rate_limited_login_leaves_one_rate_limited_record(tenant):
    """Over a client's override, every refused call is one `rate_limited` record, and nothing else."""
    tenant.client.rate_limits = {"login_email": "2/m"}
    tenant.client.save()
    email = Scene(tenant).user.email

    def attempt():
        return Scene(tenant).login(email, password=WRONG_PASSWORD)

    for _ in range(2):
        response, record = only_record_written_by(attempt)
        assert (response.status_code, record.action) == (401, "login")
    for _ in range(3):
        response, record = only_record_written_by(attempt)
        assert response.status_code == 429
        assert (record.action, record.status, record.reason) == ("rate_limited", "failed", "rate_limited")
        assert str(record.client_id) == tenant.client_id
        assert record.metadata == {"attempted": "login", "limit": "login_email"}


# --- where a request came from (docs/api.md §2) ---------------------------------------------------

END_USER = {"HTTP_X_END_USER_IP": "203.0.113.7", "HTTP_X_END_USER_AGENT": "EndUserBrowser/1.0"}
BACKEND_AGENT = {"HTTP_USER_AGENT": "client-backend/2.0"}


def test_end_user_ip_and_agent_are_recorded_with_a_valid_key(tenant):
    """The client's backend may name its end user's address and agent once its key is valid."""
    _, record = only_record_written_by(lambda: Scene(tenant).login("nobody@example.com", **END_USER, **BACKEND_AGENT))
    assert (record.ip_address, record.user_agent) == ("203.0.113.7", "EndUserBrowser/1.0")


def test_end_user_headers_are_ignored_without_a_valid_key(tenant):
    """Anyone can send the headers: with an unknown key the peer address and agent are recorded."""
    _, record = only_record_written_by(
        lambda: request_as(tenant.url("login"), {}, authorization=f"Bearer {UNKNOWN_KEY}", **END_USER, **BACKEND_AGENT)
    )
    assert (record.ip_address, record.user_agent) == ("127.0.0.1", "client-backend/2.0")


@pytest.mark.parametrize(
    ("trusted_hops", "recorded_ip"),
    [(0, "127.0.0.1"), (1, "198.51.100.9"), (2, "203.0.113.50")],
)
def test_forwarded_for_counts_only_through_trusted_proxies(tenant, settings, trusted_hops, recorded_ip):
    """X-Forwarded-For is read only as far as AUTHSVC_TRUSTED_PROXIES hops, from the right."""
    settings.AUTHSVC_TRUSTED_PROXIES = trusted_hops
    forwarded = {"HTTP_X_FORWARDED_FOR": "203.0.113.50, 198.51.100.9"}
    _, record = only_record_written_by(
        lambda: request_as(tenant.url("login"), {}, authorization=f"Bearer {UNKNOWN_KEY}", **forwarded)
    )
    assert record.ip_address == recorded_ip


# --- a record that cannot be written -----------------------------------------------------------


def test_a_failed_audit_write_still_answers_and_logs_the_whole_event(tenant, caplog, request):
    """The request succeeds, and the event goes to the error log as one JSON line without secrets."""
    user = sign_up(tenant)
    request.getfixturevalue("refusing_audit_store")
    with caplog.at_level(logging.ERROR, logger="authsvc.audit"):
        response = call(tenant, "login", {"email": user.email, "password": PASSWORD})

    assert response.status_code == 200
    lines = [entry for entry in caplog.records if entry.name == "authsvc.audit" and entry.levelno == logging.ERROR]
    assert len(lines) == 1
    message = lines[0].getMessage()
    event = json.loads(message.split(": ", 1)[1])
    assert (event["action"], event["status"], event["client_id"], event["user_id"]) == (
        "login",
        "success",
        tenant.client_id,
        user.user_id,
    )
    assert PASSWORD not in message and response.json()["refresh_token"] not in message

