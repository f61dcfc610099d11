"""Hostile bodies on signup, login and registration: always a JSON 400 (413 when too big), never a 5xx."""

import json
import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from tenants.models import Client
from tenants.user_models import user_model_for
from tests.accounts.conftest import PASSWORD
from tests.conftest import Tenant
from tests.hardening.conftest import assert_json_error

pytestmark = pytest.mark.django_db(transaction=True)


@dataclass(frozen=True)
class Endpoint:
    name: str
    base: dict  # a valid body
    text_field: str  # a field that must be a string
    takes_password: bool

    def url(self, tenant: Tenant) -> str:
        return "/api/v1/clients/register" if self.name == "register" else tenant.url(self.name)


SIGNUP = Endpoint("signup", {"email": "ada@example.com", "password": PASSWORD}, "email", True)
LOGIN = Endpoint("login", {"email": "ada@example.com", "password": PASSWORD}, "email", True)
REGISTER = Endpoint("register", {"client_name": "Acme", "industry": "SaaS"}, "client_name", False)
ALL = (SIGNUP, LOGIN, REGISTER)
WITH_PASSWORD = (SIGNUP, LOGIN)


def dumps(body) -> bytes:
    return json.dumps(body).encode()


def with_text(value) -> Callable[[Endpoint], bytes]:
    """The endpoint's valid body with its string field set to `value`."""
    return lambda endpoint: dumps({**endpoint.base, endpoint.text_field: value})


def with_password(value) -> Callable[[Endpoint], bytes]:
    return lambda endpoint: dumps({**endpoint.base, "password": value})


def with_custom_fields(value) -> Callable[[Endpoint], bytes]:
    return lambda endpoint: dumps({**endpoint.base, "custom_fields": value})


def with_raw_text(raw: str) -> Callable[[Endpoint], bytes]:
    """The string field replaced by raw JSON text (for what json.dumps would never write)."""

    def body(endpoint: Endpoint) -> bytes:
        rest = json.dumps({key: value for key, value in endpoint.base.items() if key != endpoint.text_field})
        return (f'{{"{endpoint.text_field}": {raw}, {rest[1:]}').encode()

    return body


def deep_object(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


@dataclass(frozen=True)
class Hostile:
    id: str
    body: Callable[[Endpoint], bytes]
    endpoints: tuple[Endpoint, ...] = ALL
    content_type: str = "application/json"
    status: int = 400
    error: str = "invalid_request"


TABLE = [
    Hostile("body-of-65kb", lambda e: dumps({**e.base, "padding": "x" * 65 * 1024}), status=413, error="payload_too_large"),
    Hostile("array-nested-10000-deep", lambda e: b"[" * 10_000 + b"]" * 10_000),
    Hostile("object-nested-10000-deep-in-a-field", with_raw_text(deep_object(10_000))),
    Hostile("nan", with_raw_text("NaN")),
    Hostile("infinity-in-custom-fields", lambda e: dumps(e.base)[:-1] + b', "custom_fields": {"score": Infinity}}', (SIGNUP,)),
    Hostile("object-for-string", with_text({"$gt": ""})),
    Hostile("array-for-string", with_text(["ada@example.com"])),
    Hostile("number-for-string", with_text(12345)),
    Hostile("boolean-for-string", with_text(True)),
    Hostile("object-for-password", with_password({"$ne": None}), WITH_PASSWORD),
    Hostile("nul-in-string", with_text("ada\x00@example.com")),
    Hostile("nul-in-password", with_password(PASSWORD + "\x00"), WITH_PASSWORD),
    Hostile("lone-surrogate-in-string", with_raw_text('"ada\\ud800@example.com"')),
    Hostile("300-char-string", with_text("a" * 288 + "@example.com")),
    Hostile("dollar-key-in-custom-fields", with_custom_fields({"$gt": 1}), (SIGNUP,)),
    Hostile("nul-key-in-custom-fields", with_custom_fields({"plan\x00": "pro"}), (SIGNUP,)),
    Hostile("malformed-utf8", lambda e: dumps(e.base).replace(b"Acme", b"\xff\xfe").replace(b"ada@", b"\xc3\x28@")),
    Hostile("form-encoded", lambda e: b"&".join(f"{k}={v}".encode() for k, v in e.base.items()), content_type="application/x-www-form-urlencoded"),
    Hostile("json-array-body", lambda e: dumps([e.base])),
]


@pytest.mark.parametrize("hostile", TABLE, ids=[row.id for row in TABLE])
def test_a_hostile_body_answers_a_json_4xx_on_every_endpoint(api, tenant, hostile):
    """Each endpoint the row applies to answers its 4xx as the JSON envelope, and writes nothing."""
    clients_before = Client.objects.count()
    for endpoint in hostile.endpoints:
        response = api.generic("POST", endpoint.url(tenant), hostile.body(endpoint), content_type=hostile.content_type, **tenant.auth)
        assert_json_error(response, hostile.status, hostile.error, context=endpoint.name)
    assert user_model_for(tenant.client.client_id).objects.count() == 0
    assert Client.objects.count() == clients_before


@pytest.mark.parametrize("endpoint", WITH_PASSWORD, ids=lambda e: e.name)
def test_a_5000_char_password_is_refused_before_any_hashing(api, tenant, endpoint, settings):
    """Length is checked first: with a hash costing seconds, the 400 still comes at once."""
    settings.AUTHSVC_BCRYPT_ROUNDS = 16  # one bcrypt check at this cost takes several seconds
    body = dumps({**endpoint.base, "password": "Aa1-" * 1250})
    started = time.perf_counter()
    response = api.generic("POST", endpoint.url(tenant), body, content_type="application/json", **tenant.auth)
    elapsed = time.perf_counter() - started
    assert_json_error(response, 400, "invalid_request")
    assert "password" in response.json()["fields"]
    assert elapsed < 1.0


@pytest.mark.parametrize("agent", ["curl/8\x00evil", "line\r\nbreak", "bell\x07", "\x00" * 10])
def test_a_hostile_end_user_agent_is_kept_as_printable_text(api, tenant, agent):
    """Control characters in X-End-User-Agent (NUL, which PostgreSQL refuses, included) never reach the store."""
    from audit.models import AuditLog

    response = api.post(
        tenant.url("signup"),
        {"email": "ada@example.com", "password": "Correct-horse-battery-staple-9"},
        format="json",
        HTTP_X_END_USER_AGENT=agent,
        **tenant.auth,
    )
    assert response.status_code == 201, response.content
    stored = AuditLog.objects.get(action="signup").user_agent
    assert stored.isprintable() and stored == "".join(c for c in agent if c.isprintable())
