"""A staff member runs a client's life in a real browser: log in, add a client, rotate its key,
open its users, its audit records and its documentation page. A screenshot of each step is
saved under the test's tmp dir."""

import json
import re
import urllib.request

import pytest

from tenants.models import Client
from tests.e2e.browser import WAIT_SECONDS, Journey
from tests.e2e.conftest import STAFF_PASSWORD, STAFF_USERNAME, missing_browser

pytestmark = [
    pytest.mark.skipif(missing_browser() is not None, reason=f"browser tests skipped: {missing_browser()}"),
    pytest.mark.django_db(transaction=True),
]

KEY = re.compile(r"ak_[0-9a-f]{16}\.[A-Za-z0-9_-]{43}")
CLIENT_NAME = "Browser Tested Co"
END_USER_EMAIL = "ada@example.com"


def api_call(base_url: str, path: str, access_key: str, body: dict | None = None) -> tuple[int, dict]:
    """One API call to the live server from the client's "backend"."""
    request = urllib.request.Request(
        f"{base_url}{path}",
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {access_key}", "Content-Type": "application/json"},
        method="GET" if body is None else "POST",
    )
    with urllib.request.urlopen(request, timeout=WAIT_SECONDS) as response:
        return response.status, json.loads(response.read() or b"{}")


def shown_key(journey: Journey) -> str:
    """The access key in the admin message, which must be the only key on the page."""
    key = journey.find("code.access-key").text.strip()
    assert KEY.fullmatch(key)
    assert journey.driver.page_source.count(key) == 1
    return key


def copied_text(journey: Journey, status: str) -> str:
    """What the copy button put on the clipboard, or selected for Ctrl+C where the clipboard was refused."""
    if status.startswith("Selected"):
        return journey.driver.execute_script("return window.getSelection().toString()").strip()
    # Only the test reads the clipboard back, so only the test asks for the permission.
    journey.driver.execute_cdp_cmd("Browser.grantPermissions", {"origin": journey.base_url, "permissions": ["clipboardReadWrite"]})
    return journey.driver.execute_async_script("navigator.clipboard.readText().then(arguments[0], (error) => arguments[0](String(error)))")


def log_in(journey: Journey) -> None:
    from selenium.webdriver.common.keys import Keys

    journey.open("/admin/login/?next=/admin/")
    journey.find("#id_username").send_keys(STAFF_USERNAME)
    journey.find("#id_password").send_keys(STAFF_PASSWORD, Keys.ENTER)
    # The index itself: the login page's own URL (?next=/admin/) also ends in /admin/.
    journey.wait_for_path(r"//[^/?]+/admin/$")
    assert "Log out" in journey.driver.page_source
    journey.screenshot("admin-index")


def add_client(journey: Journey) -> tuple[Client, str]:
    from selenium.webdriver.support.ui import Select

    journey.open("/admin/tenants/client/add/")
    journey.find("#id_client_name").send_keys(CLIENT_NAME)
    Select(journey.find("#id_industry")).select_by_value("AI/ML")
    journey.find("#id_custom_fields_schema").clear()
    journey.find("#id_custom_fields_schema").send_keys('{"type": "object", "properties": {"plan": {"type": "string"}}}')
    journey.screenshot("add-client-form")
    journey.find("input[name=_save]").click()
    journey.wait_for_path(r"/admin/tenants/client/$")
    key = shown_key(journey)
    journey.screenshot("client-added-key-shown-once")
    return Client.objects.get(client_name=CLIENT_NAME), key


def rotate_key(journey: Journey, client: Client) -> str:
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    journey.open("/admin/tenants/client/")
    journey.find(f"input[name=_selected_action][value='{client.pk}']").click()
    Select(journey.find("select[name=action]")).select_by_value("rotate_access_key")
    journey.find("button[name=index]").click()
    journey.wait_for_path(r"/admin/tenants/client/$")
    key = shown_key(journey)
    copy = journey.find("button.copy-access-key")
    copy.send_keys(Keys.ENTER)  # focused and pressed from the keyboard
    status = journey.find(".copy-access-key-status")
    journey.wait.until(lambda _: status.text.strip())
    assert status.text in ("Copied to the clipboard.", "Selected: press Ctrl+C to copy.")
    assert copied_text(journey, status.text) == key
    journey.screenshot("key-rotated-copy-button")
    return key


# Line boxes of an element's text: a header broken one letter per line has one per letter.
TEXT_LINES = "const range = document.createRange(); range.selectNodeContents(arguments[0]); return range.getClientRects().length;"


def check_dashboard(journey: Journey) -> None:
    """The admin index lists the client, and every column header reads on one line."""
    journey.open("/admin/")
    assert CLIENT_NAME in journey.find(".authsvc-dashboard table").text
    headers = journey.driver.find_elements("css selector", ".authsvc-dashboard thead th")
    assert headers
    lines = {header.text: journey.driver.execute_script(TEXT_LINES, header) for header in headers}
    assert all(count == 1 for count in lines.values()), lines
    journey.screenshot("admin-dashboard")


def test_staff_run_a_clients_life_from_the_admin(live_server, browser, superuser, tmp_path):
    """Log in, add a client, rotate its key, then its users, audit records and docs page all show it."""
    journey = Journey(browser, live_server.url, tmp_path)

    log_in(journey)
    client, first_key = add_client(journey)
    assert api_call(live_server.url, f"/api/v1/{client.client_id}/", first_key)[0] == 200

    new_key = rotate_key(journey, client)
    assert new_key != first_key
    status, _ = api_call(
        live_server.url, f"/api/v1/{client.client_id}/signup", new_key, {"email": END_USER_EMAIL, "password": "correct horse battery staple"}
    )
    assert status == 201

    journey.open(f"/admin/tenants/client/{client.pk}/change/")
    journey.find(".object-tools")
    journey.screenshot("client-change-page")
    journey.follow_object_tool("Users")
    journey.wait_for_path(rf"/admin/accounts/clients/{client.client_id}/users/$")
    assert END_USER_EMAIL in journey.find("#result_list").text
    journey.screenshot("client-users")

    journey.driver.back()
    journey.follow_object_tool("Audit records")
    journey.wait_for_path(rf"/admin/audit/auditlog/\?client_id={client.client_id}$")
    audit_rows = journey.find("#result_list").text
    for action in ("client_register", "access_key_rotate", "signup"):
        assert action in audit_rows
    journey.screenshot("client-audit-records")

    journey.driver.back()
    journey.follow_object_tool("Documentation")
    journey.wait_for_path(rf"/docs/clients/{client.client_id}/$")
    assert journey.find("h1").text == CLIENT_NAME
    page = journey.driver.page_source
    assert f"/api/v1/{client.client_id}/signup" in page
    assert '"custom_fields": {"plan": "example"}' in page  # worked out when the admin form saved the schema
    assert first_key not in page and new_key not in page
    journey.screenshot("client-docs-page")

    check_dashboard(journey)

    assert [path.name for path in journey.taken] == [
        "01-admin-index.png",
        "02-add-client-form.png",
        "03-client-added-key-shown-once.png",
        "04-key-rotated-copy-button.png",
        "05-client-change-page.png",
        "06-client-users.png",
        "07-client-audit-records.png",
        "08-client-docs-page.png",
        "09-admin-dashboard.png",
    ]
