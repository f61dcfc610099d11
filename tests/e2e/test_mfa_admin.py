"""Staff find a user with TOTP on the client's users page, see the factor (never a secret), press Reset MFA,
and the API follows: the user logs in with the password alone. Screenshots of each step under the test's tmp dir."""

import time

import pyotp
import pytest

from tests.conftest import make_tenant
from tests.e2e.browser import Journey
from tests.e2e.conftest import missing_browser
from tests.e2e.test_staff_journey import api_call, log_in
from tests.e2e.test_staff_switches import press_row_button

pytestmark = [
    pytest.mark.skipif(missing_browser() is not None, reason=f"browser tests skipped: {missing_browser()}"),
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("sealing_key"),
    pytest.mark.store_independent,  # a page; the reset itself is tested on every store (tests/accounts/test_mfa_admin.py)
]

PASSWORD = "correct horse battery staple"
EMAIL = "ada@example.com"


def test_staff_see_a_users_factors_and_reset_them(live_server, browser, superuser, tmp_path):
    """TOTP on through the API; the users page shows "TOTP, 10 recovery codes"; Reset MFA; login gives tokens again."""
    tenant = make_tenant("Factor Co")
    base, api = live_server.url, f"/api/v1/{tenant.client_id}/"
    user_id = api_call(base, f"{api}signup", tenant.access_key, {"email": EMAIL, "password": PASSWORD})[1]["user_id"]
    enrolment = api_call(base, f"{api}users/{user_id}/mfa/totp", tenant.access_key, {})[1]
    authenticator = pyotp.TOTP(enrolment["secret"])
    codes = api_call(base, f"{api}users/{user_id}/mfa/totp/confirm", tenant.access_key, {"code": authenticator.at(time.time())})[1]
    assert api_call(base, f"{api}login", tenant.access_key, {"email": EMAIL, "password": PASSWORD})[1]["mfa_required"] is True

    journey = Journey(browser, base, tmp_path)
    log_in(journey)
    journey.open(f"/admin/accounts/clients/{tenant.client_id}/users/")
    assert journey.find("td.factors").text == "TOTP, 10 recovery codes"
    page = journey.driver.page_source
    assert enrolment["secret"] not in page and not any(code in page for code in codes["recovery_codes"])
    journey.screenshot("users-with-totp")

    assert "Reset the second factors of 1 user(s)" in press_row_button(journey, f"reset_mfa:{user_id}")
    assert journey.find("td.factors").text == "–"
    assert not journey.driver.find_elements("css selector", f"button[value='reset_mfa:{user_id}']")
    journey.screenshot("factors-reset")

    answer = api_call(base, f"{api}login", tenant.access_key, {"email": EMAIL, "password": PASSWORD})[1]
    assert "access_token" in answer and "mfa_required" not in answer
