"""A client's rate-limit overrides, set from its admin change form: validated, stored, applied at once."""

import json

import pytest
from rest_framework.test import APIClient

from tenants.models import Client

pytestmark = pytest.mark.django_db(transaction=True)

END_USER_IP = "203.0.113.7"


def save_change_form(staff_client, client: Client, rate_limits: str):
    """Post the change form as staff would, with everything else left as it is."""
    return staff_client.post(
        f"/admin/tenants/client/{client.pk}/change/",
        {
            "client_name": client.client_name,
            "industry": client.industry,
            "custom_fields_schema": json.dumps(client.custom_fields_schema),
            "rate_limits": rate_limits,
            "access_keys-TOTAL_FORMS": "0",
            "access_keys-INITIAL_FORMS": "0",
        },
    )


def login_statuses(tenant, count: int) -> list[int]:
    """Wrong-password logins from one end-user address (the login_ip bucket)."""
    headers = {**tenant.auth, "HTTP_X_END_USER_IP": END_USER_IP}
    body = json.dumps({"email": "nobody@example.com", "password": "a wrong guess 12"})
    api = APIClient()
    return [api.generic("POST", tenant.url("login"), body, content_type="application/json", **headers).status_code for _ in range(count)]


def test_the_change_form_has_a_rate_limits_field(staff_client, tenant):
    """The change page offers the overrides as a JSON text area naming the limits."""
    page = staff_client.get(f"/admin/tenants/client/{tenant.client.pk}/change/").content.decode()
    assert '<textarea name="rate_limits"' in page
    assert "login_ip" in page


def test_a_saved_override_is_stored_and_limits_the_api_at_once(staff_client, tenant):
    """{"login_ip": "2/h"} saved in the admin: the third login from one address gets 429."""
    response = save_change_form(staff_client, tenant.client, '{"login_ip": "2/h"}')
    assert response.status_code == 302
    assert Client.objects.get(pk=tenant.client.pk).rate_limits == {"login_ip": "2/h"}
    assert login_statuses(tenant, 3) == [401, 401, 429]


@pytest.mark.parametrize(
    "rate_limits, error",
    [
        pytest.param('{"logins_per_planet": "2/m"}', "logins_per_planet: unknown limit", id="unknown-limit"),
        pytest.param('{"login_ip": "fast"}', "login_ip: rate must look like 100/m", id="malformed-rate"),
        pytest.param('{"login_ip": 5}', "login_ip: rate must look like 100/m", id="rate-not-a-string"),
        pytest.param('["login_ip"]', "Must be an object of limit name to rate.", id="not-an-object"),
        pytest.param('{"login_ip": "100/0m"}', "login_ip: the period must be 1s to 31d", id="zero-period"),
        pytest.param('{"login_ip": "100/00s"}', "login_ip: the period must be 1s to 31d", id="zero-period-two-digits"),
        pytest.param('{"login_ip": "1/32d"}', "login_ip: the period must be 1s to 31d", id="period-over-31-days"),
        pytest.param('{"login_ip": "1000000001/m"}', "login_ip: at most 1000000000 calls per period", id="count-too-large"),
        pytest.param('{"login_ip": "%s/m"}' % ("9" * 5000), "login_ip: rate must look like 100/m", id="count-of-5000-digits"),
        pytest.param('{"login_ip": "\u0661\u0660/m"}', "login_ip: rate must look like 100/m", id="arabic-indic-digits"),
        pytest.param('{"login_ip": "100/m\\n"}', "login_ip: rate must look like 100/m", id="trailing-newline"),
    ],
)
def test_an_invalid_override_is_a_form_error_and_stores_nothing(staff_client, tenant, rate_limits, error):
    """Unknown limits and malformed rates are refused on the form; the stored overrides stay as they were."""
    response = save_change_form(staff_client, tenant.client, rate_limits)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["rate_limits"] == [error]
    assert Client.objects.get(pk=tenant.client.pk).rate_limits == {}


@pytest.mark.parametrize("stored", ["100/0m", "5/0s", "1/99999999999d"])
def test_an_unenforceable_override_stored_before_the_check_falls_back_to_the_default(tenant, stored, caplog):
    """A row saved before overrides were checked answers logins (401), limited by the default rate, never 500; the log says so."""
    Client.objects.filter(pk=tenant.client.pk).update(rate_limits={"login_ip": stored})
    assert login_statuses(tenant, 3) == [401, 401, 401]
    assert f"rate_limits['login_ip'] = {stored!r} is ignored" in caplog.text
