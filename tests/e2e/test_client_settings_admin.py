"""Staff set a client's mail settings on its change page in a real browser: a refused link page is shown
beside its field, a good one is saved, and the client's backend reads it back over the API."""

import pytest

from audit.models import AuditLog
from tests.conftest import make_tenant
from tests.e2e.browser import Journey
from tests.e2e.conftest import missing_browser
from tests.e2e.test_staff_journey import api_call, log_in

pytestmark = [
    pytest.mark.skipif(missing_browser() is not None, reason=f"browser tests skipped: {missing_browser()}"),
    pytest.mark.django_db(transaction=True),
]

PAGE = "https://app.acme.example/verify?lang=en"


def fill_in(journey: Journey, field: str, value: str) -> None:
    box = journey.find(f"#id_{field}")
    journey.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", box)
    box.clear()
    box.send_keys(value)


def save(journey: Journey) -> None:
    journey.find("input[name=_continue]").click()


def test_staff_set_a_clients_link_page_and_sender_name_and_the_api_answers_them(live_server, browser, superuser, tmp_path):
    """javascript: is refused on the page (nothing saved); an https page and a sender name are saved, audited, answered by GET."""
    tenant = make_tenant("Acme")
    journey = Journey(browser, live_server.url, tmp_path)
    log_in(journey)
    journey.open(f"/admin/tenants/client/{tenant.client.pk}/change/")
    journey.find("#id_verify_email_url")
    journey.screenshot("client-page-with-mail-settings")

    fill_in(journey, "verify_email_url", "javascript:alert(1)")
    save(journey)
    error = journey.find(".field-verify_email_url .errorlist")
    assert error.text == "Must be an https URL."
    journey.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", error)
    journey.screenshot("javascript-url-refused")
    assert api_call(live_server.url, f"/api/v1/{tenant.client_id}/", tenant.access_key)[1]["verify_email_url"] is None

    fill_in(journey, "verify_email_url", PAGE)
    fill_in(journey, "mail_sender_name", "Acme Support")
    save(journey)
    assert "was changed successfully" in journey.find("ul.messagelist").text
    journey.screenshot("mail-settings-saved")

    status, answer = api_call(live_server.url, f"/api/v1/{tenant.client_id}/", tenant.access_key)
    assert (status, answer["verify_email_url"], answer["mail_sender_name"]) == (200, PAGE, "Acme Support")
    [record] = AuditLog.objects.filter(action="client_update")
    assert (record.metadata["fields"], record.metadata["surface"]) == (["verify_email_url", "mail_sender_name"], "admin")
    assert [path.name for path in journey.taken] == [
        "01-admin-index.png",
        "02-client-page-with-mail-settings.png",
        "03-javascript-url-refused.png",
        "04-mail-settings-saved.png",
    ]
