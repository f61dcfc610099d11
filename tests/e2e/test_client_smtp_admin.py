"""Staff give a client its own SMTP server on its admin page and send a test mail through it, in a real
browser; then the client's users' mail leaves through that server too."""

import pytest

from audit.models import AuditLog
from tests.conftest import CLIENT_SMTP_CREDENTIALS, make_tenant, smtp_url_of
from tests.e2e.browser import Journey
from tests.e2e.conftest import missing_browser
from tests.e2e.test_staff_journey import api_call, log_in
from tests.mail import deliver_queued_mail

pytestmark = [
    pytest.mark.skipif(missing_browser() is not None, reason=f"browser tests skipped: {missing_browser()}"),
    pytest.mark.django_db(transaction=True),
    pytest.mark.store_independent,
]


def test_staff_set_a_clients_smtp_server_and_send_a_test_mail_through_it(
    live_server, browser, superuser, tmp_path, smtp_server, client_smtp_server
):
    """The URL typed into the password box is never shown again; the test mail arrives at the client's server, logged in."""
    tenant = make_tenant("Mailer Co", require_email_verification=True)
    url = smtp_url_of(client_smtp_server)
    journey = Journey(browser, live_server.url, tmp_path)
    log_in(journey)

    journey.open(f"/admin/tenants/client/{tenant.client_id}/change/")
    assert "This service's mail server" in journey.find(".field-mail_server").text
    journey.find("#id_smtp_url").send_keys(url)
    journey.screenshot("smtp-url-typed")
    journey.find("input[name=_continue]").click()

    assert "was changed successfully" in journey.find("ul.messagelist").text
    assert f"Its own SMTP server: 127.0.0.1:{client_smtp_server.port}, no TLS." in journey.find(".field-mail_server").text
    assert journey.find("#id_smtp_url").get_attribute("value") == ""
    assert CLIENT_SMTP_CREDENTIALS[1] not in journey.driver.page_source and "Sm7p-pa55" not in journey.driver.page_source
    journey.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", journey.find(".field-smtp_url"))
    journey.screenshot("smtp-server-set")

    journey.follow_object_tool("Send a test mail")
    journey.wait_for_path(r"/test-mail/$")
    journey.find("#id_to").send_keys("staff-inbox@example.com")
    journey.screenshot("test-mail-form")
    journey.find("input[type=submit]").click()

    journey.wait_for_path(r"/change/$")
    assert journey.find("ul.messagelist").text == "Test mail sent to staff-inbox@example.com through its own SMTP server."
    journey.screenshot("test-mail-sent")

    [test_mail] = client_smtp_server.received
    assert (test_mail["To"], client_smtp_server.logins) == ("staff-inbox@example.com", [CLIENT_SMTP_CREDENTIALS[0]])
    assert AuditLog.objects.filter(action="client_test_mail", status="success").count() == 1

    status, body = api_call(live_server.url, f"/api/v1/{tenant.client_id}/", tenant.access_key)
    assert (status, body["smtp_configured"], body["smtp_host"]) == (200, True, "127.0.0.1")
    status, _ = api_call(
        live_server.url, f"/api/v1/{tenant.client_id}/signup", tenant.access_key, {"email": "ada@example.com", "password": "correct horse battery"}
    )
    assert status == 201
    deliver_queued_mail()
    assert [mail["To"] for mail in client_smtp_server.received] == ["staff-inbox@example.com", "ada@example.com"]
    assert smtp_server.received == []

    client_smtp_server.stop()  # the client's server goes down: the next test mail says so
    journey.follow_object_tool("Send a test mail")
    journey.find("#id_to").send_keys("staff-inbox@example.com")
    journey.find("input[type=submit]").click()
    journey.wait_for_path(r"/change/$")
    assert "could not be reached" in journey.find("ul.messagelist li.error").text
    journey.screenshot("test-mail-failed")
