"""The store goes down: JSON 503s with Retry-After, readyz 503, recovery without a restart; no half-written user."""

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from django.db import connection
from django.db.models import UniqueConstraint
from django.test import Client as BrowserClient

from accounts.models import RefreshToken
from tenants.user_models import user_model_for
from tests.accounts.conftest import PASSWORD, call, sign_up
from tests.conftest import Tenant
from tests.hardening.conftest import assert_json_error

pytestmark = pytest.mark.django_db(transaction=True)


def register(api, n: int):
    body = json.dumps({"client_name": f"Client {n}", "industry": "SaaS"})
    return api.generic("POST", "/api/v1/clients/register", body, content_type="application/json")


@dataclass(frozen=True)
class Request:
    name: str
    send: Callable[[object, Tenant, int], object]  # (api, tenant, attempt) -> response
    success: int


REQUESTS = [
    Request("signup", lambda api, t, n: call(t, "signup", {"email": f"new{n}@example.com", "password": PASSWORD}, api=api), 201),
    Request("login", lambda api, t, n: call(t, "login", {"email": "ada@example.com", "password": PASSWORD}, api=api), 200),
    Request("register", lambda api, t, n: register(api, n), 201),
    Request("readyz", lambda api, t, n: api.get("/readyz"), 200),
]


@pytest.fixture(params=["database", "cache"])
def outage(request):
    """What goes down: the database (`store`) or the Redis holding the rate-limit counters (`cache_store`)."""
    return request.param, request.getfixturevalue("store" if request.param == "database" else "cache_store")


@pytest.mark.parametrize("request_", REQUESTS, ids=[r.name for r in REQUESTS])
def test_with_a_dependency_down_the_answer_is_503_json_and_it_recovers_by_itself(api, tenant, outage, request_):
    """Down: 503 `service_unavailable` JSON (+ Retry-After on the API); back: the same request succeeds, nothing restarted."""
    dependency, switch = outage
    sign_up(tenant, "ada@example.com")
    if dependency == "cache":
        # A key's calls counted ahead in this process's slice would still pass (test_key_slices):
        # a small limit is counted call by call, so the very next call needs Redis.
        tenant.client.rate_limits = {"access_key": "12/m"}
        tenant.client.save()
    switch.down()
    response = request_.send(api, tenant, 1)
    assert_json_error(response, 503, "service_unavailable", context=request_.name)
    if request_.name == "readyz":
        assert response.json()["checks"] == {"database": "ok", "cache": "ok", dependency: "down"}
    else:
        assert response["Retry-After"].isdigit()
    switch.up()
    response = request_.send(api, tenant, 2)
    assert response.status_code == request_.success, response.content


# --- a signup whose token write fails after the user insert ----------------------------------


class TokenWriteFault:
    """A real failure of the `tokens` insert, undone by `repair()` (or at teardown)."""

    def __init__(self, break_it: Callable, repair_it: Callable):
        self._repair_it = repair_it
        self.broken = True
        with connection.schema_editor() as editor:
            break_it(editor)

    def repair(self) -> None:
        if self.broken:
            with connection.schema_editor() as editor:
                self._repair_it(editor)
            self.broken = False


def refuse_by_unique_index(tenant: Tenant) -> TokenWriteFault:
    """A unique index on the client that a live token row already fills: the next insert is refused."""
    sign_up(tenant, "first@example.com")
    constraint = UniqueConstraint(fields=["client"], name="test_one_token_per_client")
    if connection.vendor == "sqlite":  # SQLite's add_constraint rebuilds the table from the model, which lacks it
        return TokenWriteFault(
            lambda editor: editor.execute(f"CREATE UNIQUE INDEX {constraint.name} ON tokens (client_id)"),
            lambda editor: editor.execute(f"DROP INDEX {constraint.name}"),
        )
    return TokenWriteFault(
        lambda editor: editor.add_constraint(RefreshToken, constraint),
        lambda editor: editor.remove_constraint(RefreshToken, constraint),
    )


def drop_the_tokens_table(tenant: Tenant) -> TokenWriteFault:
    if connection.vendor == "mongodb":
        pytest.skip("MongoDB creates a missing collection on the first insert, so the write would not fail")
    return TokenWriteFault(
        lambda editor: editor.delete_model(RefreshToken),
        lambda editor: editor.create_model(RefreshToken),
    )


@pytest.fixture
def token_fault(request, tenant) -> Iterator[TokenWriteFault]:
    fault = request.param(tenant)
    yield fault
    fault.repair()


@pytest.mark.parametrize(
    ("token_fault", "status", "error"),
    [
        # An unexpected integrity failure is a bug, not an outage: a JSON 500.
        (refuse_by_unique_index, 500, "server_error"),
        # A missing table (SQLite's OperationalError, PostgreSQL's 42P01) is the store's state: 503.
        (drop_the_tokens_table, 503, "service_unavailable"),
    ],
    ids=["unique-index-refuses-the-token", "tokens-table-dropped"],
    indirect=["token_fault"],
)
def test_a_signup_that_fails_after_the_user_insert_leaves_a_usable_account(api, tenant, token_fault, status, error):
    """The user is one insert before any token: when the token write fails the account works once the store does."""
    body = {"email": "ada@example.com", "password": PASSWORD}
    assert_json_error(call(tenant, "signup", body, api=api), status, error)
    token_fault.repair()
    login = call(tenant, "login", body, api=api)
    assert login.status_code == 200, login.content
    (user,) = user_model_for(tenant.client.client_id).objects.filter(email="ada@example.com")
    assert str(user.user_id) == login.json()["user_id"]
    assert_json_error(call(tenant, "signup", body, api=api), 409, "email_taken")


def test_with_redis_down_calls_already_counted_ahead_pass_and_the_next_count_answers_503(tenant, cache_store):
    """The slice was counted before Redis went: its calls pass; the call that needs a new count is a JSON 503."""
    tenant.client.rate_limits = {"access_key": "1200/h"}
    tenant.client.save()
    assert call(tenant, "token/verify", {"token": "not-a-token"}).status_code == 200  # takes a slice of 16
    cache_store.down()
    try:
        statuses = [call(tenant, "token/verify", {"token": "not-a-token"}).status_code for _ in range(16)]
    finally:
        cache_store.up()
    assert statuses == [200] * 15 + [503]
    assert call(tenant, "token/verify", {"token": "not-a-token"}).status_code == 200


# --- the mailed-link pages, which count every request in Redis --------------------------------


@pytest.mark.store_independent
def test_with_redis_down_a_link_page_says_to_try_again_and_works_once_it_is_back(tenant, cache_store):
    """Down: a 503 HTML page with Retry-After, not a bare 500; back: the same page answers as usual."""
    page = f"/links/{tenant.client_id}/verify-email"
    cache_store.down()
    response = BrowserClient().get(page)
    cache_store.up()
    assert (response.status_code, response["Content-Type"].split(";")[0], response["Retry-After"]) == (503, "text/html", "5")
    assert b"Try again shortly" in response.content
    assert BrowserClient().get(page).status_code == 400  # no token: the invalid-link page
