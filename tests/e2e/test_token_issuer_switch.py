"""Staff move a client from the service's issuer to its own, in a real browser, and the API follows: its
discovery document appears, new tokens carry its issuer, a token minted before the switch stays active.
A screenshot of each step is saved under the test's tmp dir."""

import jwt
import pytest

from tests.conftest import make_tenant
from tests.e2e.browser import Journey
from tests.e2e.conftest import missing_browser
from tests.e2e.test_staff_journey import api_call, log_in
from tests.e2e.test_staff_switches import api_status

pytestmark = [
    pytest.mark.skipif(missing_browser() is not None, reason=f"browser tests skipped: {missing_browser()}"),
    pytest.mark.django_db(transaction=True),
    # The page and the admin's save are the same on every store; the switch's effect on tokens runs on
    # every store in tests/accounts/test_token_issuer.py.
    pytest.mark.store_independent,
]

USER = {"email": "ada@example.com", "password": "correct horse battery staple"}


def test_staff_give_a_client_its_own_issuer_and_earlier_tokens_stay_valid(live_server, browser, superuser, tmp_path, settings):
    """Choose "This client's own" on the client's page and save: 200 for its discovery document, its `iss` on new tokens."""
    from selenium.webdriver.support.ui import Select

    settings.AUTHSVC_PUBLIC_URL = settings.AUTHSVC_ISSUER = base = live_server.url
    tenant = make_tenant("Issuer Co", token_issuer="service")
    api, discovery = f"/api/v1/{tenant.client_id}/", f"/api/v1/{tenant.client_id}/.well-known/openid-configuration"
    status, before = api_call(base, f"{api}signup", tenant.access_key, USER)
    assert status == 201 and jwt.decode(before["access_token"], options={"verify_signature": False})["iss"] == base
    assert api_status(base, discovery, tenant.access_key) == 404

    journey = Journey(browser, base, tmp_path)
    log_in(journey)
    journey.open(f"/admin/tenants/client/{tenant.client.pk}/change/")
    issuer = Select(journey.find("#id_token_issuer"))
    assert issuer.first_selected_option.get_attribute("value") == "service"
    issuer.select_by_value("client")
    journey.screenshot("own-issuer-chosen")
    journey.find("input[name=_save]").click()
    journey.wait_for_path(r"/admin/tenants/client/$")
    assert "was changed successfully" in journey.find("ul.messagelist").text
    journey.screenshot("client-saved")

    own_issuer = f"{base}/api/v1/{tenant.client_id}"
    assert api_call(base, discovery, tenant.access_key)[1]["issuer"] == own_issuer
    status, after = api_call(base, f"{api}login", tenant.access_key, USER)
    assert jwt.decode(after["access_token"], options={"verify_signature": False})["iss"] == own_issuer
    assert api_call(base, f"{api}token/verify", tenant.access_key, {"token": before["access_token"]})[1]["active"] is True
    assert [path.name for path in journey.taken] == ["01-admin-index.png", "02-own-issuer-chosen.png", "03-client-saved.png"]
