"""Staff give a client a refresh reuse interval in a real browser: an out-of-range value is refused on
the page, an accepted one applies to the API at once and shows on the client's documentation page.
A screenshot of each step is saved under the test's tmp dir."""

import pytest

from tests.conftest import make_tenant
from tests.e2e.browser import Journey
from tests.e2e.conftest import missing_browser
from tests.e2e.test_staff_journey import api_call, log_in

pytestmark = [
    pytest.mark.skipif(missing_browser() is not None, reason=f"browser tests skipped: {missing_browser()}"),
    pytest.mark.django_db(transaction=True),
    pytest.mark.store_independent,  # the page and the form; the refresh behaviour runs per store in tests/accounts
]

PASSWORD = "correct horse battery staple"


def save_interval(journey: Journey, client_pk, seconds: str) -> None:
    """Type `seconds` into the change page's refresh reuse interval and save."""
    journey.open(f"/admin/tenants/client/{client_pk}/change/")
    field = journey.find("#id_refresh_reuse_interval")
    field.clear()
    field.send_keys(seconds)
    journey.find("input[name=_save]").click()


def test_staff_set_a_refresh_reuse_interval_and_tabs_refreshing_at_once_get_one_answer(live_server, browser, superuser, tmp_path):
    """301 is refused on the page; 30 is saved, a spent token then answers its successor again, and the docs page says 30 seconds."""
    tenant = make_tenant("Tabs Co")
    base, client_api = live_server.url, f"/api/v1/{tenant.client_id}/"
    journey = Journey(browser, base, tmp_path)
    log_in(journey)

    save_interval(journey, tenant.client.pk, "301")
    error = journey.find(".field-refresh_reuse_interval .errorlist").text
    assert "from 0 to 300" in error
    journey.screenshot("interval-out-of-range-refused")
    assert api_call(base, client_api, tenant.access_key)[1]["refresh_reuse_interval"] == 0

    save_interval(journey, tenant.client.pk, "30")
    journey.wait_for_path(r"/admin/tenants/client/$")
    assert "was changed successfully" in journey.find("ul.messagelist").text
    journey.screenshot("interval-saved")
    assert api_call(base, client_api, tenant.access_key)[1]["refresh_reuse_interval"] == 30

    _, pair = api_call(base, f"{client_api}signup", tenant.access_key, {"email": "ada@example.com", "password": PASSWORD})
    answers = [api_call(base, f"{client_api}token/refresh", tenant.access_key, {"refresh_token": pair["refresh_token"]}) for _ in range(2)]
    assert [status for status, _ in answers] == [200, 200]
    assert answers[0][1]["refresh_token"] == answers[1][1]["refresh_token"]

    journey.open(f"/docs/clients/{tenant.client_id}/#settings")
    assert journey.find("#refresh-reuse-interval strong").text == "30 seconds."
    journey.screenshot("docs-page-interval")
    assert [path.name for path in journey.taken] == [
        "01-admin-index.png",
        "02-interval-out-of-range-refused.png",
        "03-interval-saved.png",
        "04-docs-page-interval.png",
    ]
