"""Staff look after a client's webhooks in the admin, in a real browser: from the client's page to
its webhooks (disable, enable) and their deliveries (retry a dead letter), then the API agrees."""

import json
import urllib.request

import pytest

from audit.models import AuditLog
from delivery.models import Delivery, Status
from tests.conftest import make_tenant
from tests.e2e.browser import Journey
from tests.e2e.conftest import STAFF_USERNAME, missing_browser
from tests.e2e.test_staff_journey import api_call, log_in

pytestmark = [
    pytest.mark.skipif(missing_browser() is not None, reason=f"browser tests skipped: {missing_browser()}"),
    pytest.mark.django_db(transaction=True),
]

HOOK_URL = "http://127.0.0.1:9/hooks/auth"


def listed_webhooks(base_url: str, tenant) -> list[dict]:
    request = urllib.request.Request(
        f"{base_url}/api/v1/{tenant.client_id}/webhooks", headers={"Authorization": f"Bearer {tenant.access_key}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())["results"]


def run_action(journey: Journey, action: str, done: str, shot: str) -> None:
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import Select

    journey.find("#result_list input.action-select").click()
    Select(journey.find("select[name=action]")).select_by_value(action)
    button = journey.find("button[name=index]")
    button.click()
    journey.wait.until(ec.staleness_of(button))  # the answer's page, not the previous message
    assert done in journey.find("ul.messagelist").text
    journey.screenshot(shot)


def test_staff_disable_and_enable_a_webhook_and_retry_its_failed_delivery(live_server, browser, superuser, settings, sealing_key, tmp_path):
    """The client's page links to its webhooks only (another client's are not listed); Disable and
    Enable change what the API shows; the deliveries list shows the dead letter, and Retry queues it."""
    settings.AUTHSVC_WEBHOOK_ALLOW_PRIVATE = settings.DEBUG = True  # an http URL on loopback
    tenant, other = make_tenant("Hooked Co"), make_tenant("Other Co")
    for owner in (tenant, other):
        webhook = {"url": HOOK_URL, "events": ["user.created"]}
        assert api_call(live_server.url, f"/api/v1/{owner.client_id}/webhooks", owner.access_key, webhook)[0] == 201
    user = {"email": "ada@example.com", "password": "correct horse battery"}
    assert api_call(live_server.url, f"/api/v1/{tenant.client_id}/signup", tenant.access_key, user)[0] == 201
    Delivery.objects.filter(kind="webhook").update(status=Status.FAILED, attempts=9, last_error="WebhookRefused")
    journey = Journey(browser, live_server.url, tmp_path)

    log_in(journey)
    journey.open(f"/admin/tenants/client/{tenant.client_id}/change/")
    journey.follow_object_tool("Webhooks")
    rows = journey.find("#result_list").text
    assert HOOK_URL in rows and "Hooked Co" in rows and "Other Co" not in rows
    assert "whsec_" not in journey.driver.page_source
    journey.screenshot("client-webhooks")

    run_action(journey, "disable_webhooks", "Disabled 1 webhook.", "webhook-disabled")
    [shown] = listed_webhooks(live_server.url, tenant)
    assert (shown["enabled"], shown["disabled_reason"]) == (False, "disabled by staff")
    assert AuditLog.objects.get(action="webhook_disable").metadata["actor"]["username"] == STAFF_USERNAME
    run_action(journey, "enable_webhooks", "Enabled 1 webhook.", "webhook-enabled")
    assert listed_webhooks(live_server.url, tenant)[0]["enabled"] is True

    journey.open(f"/admin/tenants/client/{tenant.client_id}/change/")
    journey.follow_object_tool("Webhook deliveries")
    rows = journey.find("#result_list").text
    assert "user.created" in rows and "failed" in rows and "Hooked Co" in rows
    journey.screenshot("client-webhook-deliveries")
    run_action(journey, "retry_deliveries", "Queued 1 delivery again.", "webhook-delivery-retried")

    assert Delivery.objects.get(kind="webhook", client=tenant.client).status == Status.PENDING
