"""Staff find a dead letter in the admin's mail outbox and send it again, in a real browser."""

import pytest

from delivery.models import Delivery, Status
from tests.conftest import make_tenant
from tests.e2e.browser import Journey
from tests.e2e.conftest import missing_browser
from tests.e2e.test_staff_journey import api_call, log_in

pytestmark = [
    pytest.mark.skipif(missing_browser() is not None, reason=f"browser tests skipped: {missing_browser()}"),
    pytest.mark.django_db(transaction=True),
]


def test_staff_retry_a_failed_mail_from_the_outbox_page(live_server, browser, superuser, tmp_path):
    """The outbox filtered on "failed" lists the dead letter; the Retry action queues it again."""
    from selenium.webdriver.support.ui import Select

    tenant = make_tenant("Mailer Co", require_email_verification=True)
    status, _ = api_call(
        live_server.url, f"/api/v1/{tenant.client_id}/signup", tenant.access_key, {"email": "ada@example.com", "password": "correct horse battery"}
    )
    assert status == 201
    Delivery.objects.update(status=Status.FAILED, attempts=7, last_error="SMTPServerDisconnected")
    journey = Journey(browser, live_server.url, tmp_path)

    log_in(journey)
    journey.open("/admin/delivery/delivery/?status__exact=failed")
    rows = journey.find("#result_list").text
    assert "ada@example.com" in rows and "SMTPServerDisconnected" in rows
    assert "token=" not in journey.driver.page_source
    journey.screenshot("outbox-dead-letters")

    journey.find("#result_list input.action-select").click()
    Select(journey.find("select[name=action]")).select_by_value("retry_deliveries")
    journey.find("button[name=index]").click()
    assert "Queued 1 delivery again" in journey.find("ul.messagelist").text
    journey.screenshot("outbox-retried")

    assert Delivery.objects.get().status == Status.PENDING
