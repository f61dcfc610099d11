"""Outages and the lockout (docs/api.md §6a): a login the database could not answer is not counted
as a failure; with Redis down, the admin's users page still lists the users."""

import pytest

from accounts.lockout import lockout_states
from tests.accounts.conftest import PASSWORD, call, sign_up
from tests.conftest import make_tenant
from tests.hardening.conftest import assert_json_error

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.store_independent]


def test_a_login_the_store_could_not_answer_is_not_counted(store, settings):
    """Counted before the password is checked, the attempt is taken back when the store fails: 503, the
    count as it was, and the right password still logs in after the outage."""
    settings.AUTHSVC_ACCESS_KEY_CACHE_SECONDS = 3600  # the key is known without the store
    tenant = make_tenant("Acme", lockout={"mode": "lock", "max_failures": 2})
    user = sign_up(tenant)
    assert call(tenant, "login", {"email": user.email, "password": "Not-the-password-1"}).status_code == 401

    store.down()
    responses = [call(tenant, "login", {"email": user.email, "password": PASSWORD}) for _ in range(3)]
    store.up()

    for response in responses:
        assert_json_error(response, 503, "service_unavailable", context="login")
    assert lockout_states(client=tenant.client, emails=[user.email])[user.email].failures == 1
    assert call(tenant, "login", {"email": user.email, "password": PASSWORD}).status_code == 200


def test_with_redis_down_the_users_page_lists_the_users_and_says_the_failures_are_unknown(cache_store, admin_client):
    """The failed logins live in Redis, the users in the store: the page answers 200 with its users and a warning."""
    tenant = make_tenant("Acme", lockout={"mode": "lock", "max_failures": 2})
    user = sign_up(tenant)

    cache_store.down()
    response = admin_client.get(f"/admin/accounts/clients/{tenant.client_id}/users/")
    cache_store.up()

    assert response.status_code == 200
    page = response.content.decode()
    assert user.email in page
    assert "Failed logins cannot be shown: the shared cache (Redis) does not answer." in page
