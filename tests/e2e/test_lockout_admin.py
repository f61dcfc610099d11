"""Staff turn a client's lockout on, see a user it locked on the client's users page and unlock them, in
a real browser; the API follows each step. A screenshot of each step is saved under the test's tmp dir."""

import json

import pytest

from tenants.models import Client
from tests.conftest import make_tenant
from tests.e2e.browser import Journey
from tests.e2e.conftest import missing_browser
from tests.e2e.test_staff_journey import log_in
from tests.e2e.test_staff_switches import api_status, press_row_button

pytestmark = [
    pytest.mark.skipif(missing_browser() is not None, reason=f"browser tests skipped: {missing_browser()}"),
    pytest.mark.django_db(transaction=True),
    pytest.mark.store_independent,  # the lockout's count lives in Redis; the pages are the same on every store
]

PASSWORD = "correct horse battery staple"
EMAIL = "ada@example.com"


def test_staff_turn_the_lockout_on_see_a_locked_user_and_unlock_them(live_server, browser, superuser, tmp_path):
    """The client's page sets `lockout`; two failures lock the user (429 login_locked); the users page shows
    the failures and until when; Unlock lets the right password in again."""
    tenant = make_tenant("Lockout Co")
    base, client_api = live_server.url, f"/api/v1/{tenant.client_id}/"
    assert api_status(base, f"{client_api}signup", tenant.access_key, {"email": EMAIL, "password": PASSWORD}) == 201
    journey = Journey(browser, base, tmp_path)
    log_in(journey)

    journey.open(f"/admin/tenants/client/{tenant.client.pk}/change/")
    box = journey.find("#id_lockout")
    journey.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", box)
    assert json.loads(box.get_attribute("value"))["mode"] == "off"
    box.clear()
    box.send_keys('{"mode": "lock", "max_failures": 2}')
    journey.screenshot("lockout-typed")
    journey.find("input[name=_continue]").click()
    journey.wait.until(lambda driver: driver.find_elements("css selector", "ul.messagelist"))
    assert Client.objects.get(pk=tenant.client.pk).lockout["mode"] == "lock"
    journey.screenshot("lockout-saved")

    login = f"{client_api}login"
    wrong, right = {"email": EMAIL, "password": "not the password"}, {"email": EMAIL, "password": PASSWORD}
    assert [api_status(base, login, tenant.access_key, wrong) for _ in range(2)] == [401, 401]
    assert api_status(base, login, tenant.access_key, right) == 429

    journey.open(f"/admin/accounts/clients/{tenant.client_id}/users/")
    cell = journey.find("td.failed-logins")
    assert cell.text.startswith("2, refused until ")
    journey.screenshot("user-locked")
    [user_id] = [row.get_attribute("value") for row in browser.find_elements("css selector", "input[name=user_id]")]
    assert "Unlocked 1 user(s)" in press_row_button(journey, f"unlock:{user_id}")
    assert journey.find("td.failed-logins").text == "–"
    journey.screenshot("user-unlocked")
    assert api_status(base, login, tenant.access_key, right) == 200

    assert [path.name for path in journey.taken] == [
        "01-admin-index.png",
        "02-lockout-typed.png",
        "03-lockout-saved.png",
        "04-user-locked.png",
        "05-user-unlocked.png",
    ]
