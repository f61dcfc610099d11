"""Staff turn a client off and on again, revoke one of its keys and reactivate one of its users, in a
real browser, and the API follows each switch. A screenshot of each step is saved under the test's tmp dir."""

import urllib.error

import pytest

from tenants.services import access_key_rotate
from tests.conftest import make_tenant
from tests.e2e.browser import Journey
from tests.e2e.conftest import missing_browser
from tests.e2e.test_staff_journey import api_call, log_in

pytestmark = [
    pytest.mark.skipif(missing_browser() is not None, reason=f"browser tests skipped: {missing_browser()}"),
    pytest.mark.django_db(transaction=True),
]

PASSWORD = "correct horse battery staple"
EMAIL = "ada@example.com"


def api_status(base_url: str, path: str, access_key: str, body: dict | None = None) -> int:
    """The status of one API call from the client's backend, refusals included."""
    try:
        return api_call(base_url, path, access_key, body)[0]
    except urllib.error.HTTPError as refused:
        return refused.code


def key_id_of(access_key: str) -> str:
    return access_key.split(".")[0].removeprefix("ak_")


def run_list_action(journey: Journey, client_pk, action: str) -> str:
    """Select the client on the client list, run `action`, and return the message it left."""
    from selenium.webdriver.support.ui import Select

    journey.open("/admin/tenants/client/")
    journey.find(f"input[name=_selected_action][value='{client_pk}']").click()
    Select(journey.find("select[name=action]")).select_by_value(action)
    journey.find("button[name=index]").click()
    journey.wait_for_path(r"/admin/tenants/client/$")
    return journey.find("ul.messagelist").text


def revoke_links(journey: Journey) -> list[str]:
    """The key ids the client's page offers to revoke, after bringing its key table into view."""
    table = journey.find("#access_keys-group")
    journey.driver.execute_script("arguments[0].scrollIntoView()", table)
    links = journey.driver.find_elements("css selector", "#access_keys-group a.revoke-access-key")
    return [link.get_attribute("href").rstrip("/").split("/")[-2] for link in links]


def press_row_button(journey: Journey, value: str) -> str:
    """Press a button of a row on a client's users page, and return the message it left."""
    journey.find(f"button[name=row_action][value='{value}']").click()
    journey.wait.until(lambda driver: driver.find_elements("css selector", "ul.messagelist"))
    return journey.find("ul.messagelist").text


def test_staff_switch_a_client_a_key_and_a_user_off_and_on(live_server, browser, superuser, tmp_path):
    """Deactivate then reactivate a client (403, then 200), revoke its first key from its page (401; the
    second still works), deactivate then reactivate a user (who logs in again)."""
    tenant = make_tenant("Switch Co")
    second_key = access_key_rotate(client=tenant.client)
    base, client_api = live_server.url, f"/api/v1/{tenant.client_id}/"
    assert api_status(base, f"{client_api}signup", tenant.access_key, {"email": EMAIL, "password": PASSWORD}) == 201
    journey = Journey(browser, base, tmp_path)
    log_in(journey)

    assert "Deactivated 1 client(s): Switch Co." in run_list_action(journey, tenant.client.pk, "deactivate")
    journey.screenshot("client-deactivated")
    assert api_status(base, client_api, tenant.access_key) == 403

    assert "Reactivated 1 client(s): Switch Co." in run_list_action(journey, tenant.client.pk, "reactivate")
    journey.screenshot("client-reactivated")
    assert api_status(base, client_api, tenant.access_key) == 200

    journey.open(f"/admin/tenants/client/{tenant.client.pk}/change/")
    assert sorted(revoke_links(journey)) == sorted(key_id_of(key) for key in (tenant.access_key, second_key))
    journey.screenshot("client-keys-with-revoke-links")
    journey.find(f"a.revoke-access-key[href$='/access-keys/{key_id_of(tenant.access_key)}/revoke/']").click()
    journey.wait_for_path(r"/revoke/$")
    assert "1 other live key keeps working" in journey.find("#content").text
    journey.screenshot("revoke-key-confirmation")
    journey.find("#content input[type=submit]").click()
    journey.wait_for_path(rf"/admin/tenants/client/{tenant.client.pk}/change/$")
    assert f"Revoked access key {key_id_of(tenant.access_key)}" in journey.find("ul.messagelist").text
    assert revoke_links(journey) == [key_id_of(second_key)]
    journey.screenshot("key-revoked")
    assert [api_status(base, client_api, key) for key in (tenant.access_key, second_key)] == [401, 200]

    journey.open(f"/admin/accounts/clients/{tenant.client_id}/users/")
    [user_id] = [row.get_attribute("value") for row in browser.find_elements("css selector", "input[name=user_id]")]
    assert "Deactivated 1 user(s)" in press_row_button(journey, f"deactivate:{user_id}")
    login = {"email": EMAIL, "password": PASSWORD}
    assert api_status(base, f"{client_api}login", second_key, login) == 403
    journey.screenshot("user-deactivated")
    assert "Reactivated 1 user(s)" in press_row_button(journey, f"reactivate:{user_id}")
    journey.screenshot("user-reactivated")
    assert api_status(base, f"{client_api}login", second_key, login) == 200

    assert [path.name for path in journey.taken] == [
        "01-admin-index.png",
        "02-client-deactivated.png",
        "03-client-reactivated.png",
        "04-client-keys-with-revoke-links.png",
        "05-revoke-key-confirmation.png",
        "06-key-revoked.png",
        "07-user-deactivated.png",
        "08-user-reactivated.png",
    ]

