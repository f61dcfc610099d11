"""Each staff page looked at in Chromium at a laptop's 1366 px and a desktop's 1920 px: named for the
service, nothing wider than the window, a client's users with their custom fields, each access key
id once, the schema indented, today's bars dated, and the API reference grouped by area. A
screenshot of each page at each width is saved under the test's tmp dir."""

import io
import json
import urllib.error
import urllib.request

import pytest
from django.core.management import call_command

from accounts.models import RefreshToken
from tenants.services import access_key_rotate
from tests.accounts.conftest import sign_up
from tests.conftest import make_tenant
from tests.e2e.browser import WAIT_SECONDS, Journey
from tests.e2e.conftest import missing_browser
from tests.e2e.test_pages_offline_and_csp import REDOC_RENDERED, SWAGGER_RENDERED
from tests.e2e.test_staff_journey import log_in

pytestmark = [
    pytest.mark.skipif(missing_browser() is not None, reason=f"browser tests skipped: {missing_browser()}"),
    pytest.mark.django_db(transaction=True),
]

WIDTHS = (1366, 1920)
HEIGHT = 900
WINDOW_FRAME = 200  # what a window's height holds beyond the page's viewport, and then some
SCHEMA = {
    "type": "object",
    "properties": {"plan": {"type": "string", "enum": ["free", "pro", "enterprise"]}, "seats": {"type": "integer", "minimum": 1}},
    "required": ["plan"],
}
CUSTOM_FIELDS = {"plan": "enterprise", "seats": 250}
# A browser's agent as a client's backend passes it on: long enough to widen a column.
END_USER_IP = "2001:db8:85a3::8a2e:370:7334"
LONG_AGENT = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4_1) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
AREAS = ["clients", "accounts", "tokens", "users", "mail", "audit", "webhooks"]
# The page's width against the window's, and every box that scrolls sideways inside it (Django's
# changelist puts its table in one, so a table too wide never widens the page itself).
WIDTHS_NOW = """
    const scrolling = [...document.querySelectorAll('body *')].filter((element) =>
        ['auto', 'scroll'].includes(getComputedStyle(element).overflowX) && element.scrollWidth > element.clientWidth + 1);
    return [document.documentElement.scrollWidth, window.innerWidth,
            scrolling.map((element) => `${element.tagName.toLowerCase()}#${element.id}.${element.className}: ${element.scrollWidth} > ${element.clientWidth}`)];
"""


def post(base_url: str, path: str, access_key: str, body: dict, **headers: str) -> int:
    """One call from the client's backend; its status, refusals included."""
    request = urllib.request.Request(
        f"{base_url}{path}",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {access_key}", "Content-Type": "application/json", **headers},
    )
    try:
        with urllib.request.urlopen(request, timeout=WAIT_SECONDS) as response:
            return response.status
    except urllib.error.HTTPError as refused:
        return refused.code


@pytest.fixture
def used_client(live_server, transactional_db):
    """A client with a schema, two keys, users with custom fields and sessions, and a trail of every kind."""
    tenant = make_tenant("Polished Analytics GmbH", custom_fields_schema=SCHEMA)
    access_key_rotate(client=tenant.client)
    for number in range(3):
        user = sign_up(tenant, f"user{number}.with.a.longer.address@example.com", custom_fields=CUSTOM_FIELDS)
        assert post(live_server.url, tenant.url("token/refresh"), tenant.access_key, {"refresh_token": user.refresh_token}) == 200
    wrong = {"email": "user0.with.a.longer.address@example.com", "password": "not the password"}
    for _ in range(2):
        status = post(live_server.url, tenant.url("login"), tenant.access_key, wrong, **{"X-End-User-IP": END_USER_IP, "X-End-User-Agent": LONG_AGENT})
        assert status == 401
    for command in ("deactivate_client", "reactivate_client"):
        call_command(command, tenant.client_id, "--actor", "ops-alice", stdout=io.StringIO())
    return tenant


def fits_the_window(journey: Journey, page: str, width: int) -> None:
    """Nothing to scroll sideways: not the page, nor any box in it."""
    scroll_width, inner_width, scrolling = journey.driver.execute_script(WIDTHS_NOW)
    assert scroll_width <= inner_width, f"{page} at {width} px: the page is {scroll_width} px wide in a {inner_width} px window"
    assert scrolling == [], f"{page} at {width} px: {scrolling}"


def whole_page_screenshot(journey: Journey, name: str, width: int) -> None:
    """A shot of the whole page: the window is made as tall as the page for it."""
    height = journey.driver.execute_script("return document.documentElement.scrollHeight;")
    journey.driver.set_window_size(width, max(HEIGHT, height + WINDOW_FRAME))
    journey.screenshot(name)
    journey.driver.set_window_size(width, HEIGHT)


def check_header(journey: Journey) -> None:
    assert journey.find("#site-name a").text == "authsvc administration"
    assert journey.driver.title.endswith("| authsvc admin")


def check_dashboard(journey: Journey) -> None:
    """Every day is dated under its bars; today's label is drawn inside the chart, centred under today's two bars."""
    journey.find(".authsvc-chart")
    labels = journey.driver.find_elements("css selector", ".authsvc-chart text.day")
    assert len(labels) == 14
    today = journey.driver.execute_script(
        """
        const svg = document.querySelector('.authsvc-chart'), label = svg.querySelector('text.today').getBBox();
        const bars = [...svg.querySelectorAll('rect')].slice(-2).map((bar) => bar.getBBox());
        const view = svg.viewBox.baseVal;
        return {centre: label.x + label.width / 2, left: bars[0].x, right: bars[1].x + bars[1].width,
                top: label.y, bottom: label.y + label.height, baseline: bars[1].y + bars[1].height, height: view.height};
        """
    )
    assert today["left"] <= today["centre"] <= today["right"], today
    assert today["baseline"] <= today["top"] and today["bottom"] <= today["height"], today


def check_users(journey: Journey) -> None:
    cells = journey.driver.find_elements("css selector", "#result_list td.custom-fields")
    assert [json.loads(cell.text) for cell in cells] == [CUSTOM_FIELDS] * 3


def check_client_page(journey: Journey, tenant) -> None:
    """One key id per key row, as text a person sees; the schema indented by 2 and shown whole."""
    rows = journey.driver.find_elements("css selector", "#access_keys-group tbody tr.has_original")
    key_ids = [key.key_id for key in tenant.client.access_keys.order_by("created_at")]
    assert len(rows) == len(key_ids) == 2
    for row in rows:
        assert [row.text.count(key_id) for key_id in key_ids].count(1) == 1 and sum(row.text.count(k) for k in key_ids) == 1, row.text
    schema = journey.find("#id_custom_fields_schema")
    assert schema.get_attribute("value") == json.dumps(SCHEMA, indent=2)
    assert journey.driver.execute_script("return arguments[0].scrollHeight <= arguments[0].clientHeight;", schema)


def check_audit(journey: Journey) -> None:
    table = journey.find("#result_list").text
    assert "Polished Analytics GmbH" in table and "user0.with.a.longer.address@example.com" in table
    assert "ops-alice" in table and "manage.py deactivate_client" in table


def check_tokens(journey: Journey) -> None:
    assert journey.find("#result_list").text.count("Polished Analytics GmbH") == RefreshToken.objects.count()


def admin_pages(tenant) -> list[tuple[str, str, object]]:
    client_page = f"/admin/tenants/client/{tenant.client.pk}/change/"
    return [
        ("dashboard", "/admin/", lambda journey: check_dashboard(journey)),
        ("clients", "/admin/tenants/client/", None),
        ("client", client_page, lambda journey: check_client_page(journey, tenant)),
        ("users", f"/admin/accounts/clients/{tenant.client_id}/users/", check_users),
        ("tokens", "/admin/accounts/refreshtoken/", check_tokens),
        ("audit", "/admin/audit/auditlog/", check_audit),
        ("deliveries", "/admin/delivery/delivery/", None),
    ]


def test_each_admin_page_is_named_fits_the_window_and_shows_what_it_should(live_server, browser, superuser, used_client, tmp_path):
    """At 1366 and 1920 px: the header names the service, no page scrolls sideways, and each page's own check holds."""
    journey = Journey(browser, live_server.url, tmp_path)
    log_in(journey)
    for width in WIDTHS:
        browser.set_window_size(width, HEIGHT)
        for name, path, check in admin_pages(used_client):
            journey.open(path)
            check_header(journey)
            if check is not None:
                check(journey)
            fits_the_window(journey, name, width)
            whole_page_screenshot(journey, f"{name}-{width}", width)


def test_swagger_and_redoc_group_operations_by_area(live_server, browser, tmp_path):
    """/api/schema/ tags every operation with its area; Swagger UI and Redoc show one group per area, in order."""
    with urllib.request.urlopen(f"{live_server.url}/api/schema/?format=json", timeout=WAIT_SECONDS) as response:
        schema = json.loads(response.read())
    assert [tag["name"] for tag in schema["tags"]] == AREAS
    assert {operation["tags"][0] for item in schema["paths"].values() for operation in item.values()} == set(AREAS)
    journey = Journey(browser, live_server.url, tmp_path)
    for width in WIDTHS:
        browser.set_window_size(width, HEIGHT)
        journey.open("/api/docs/")
        journey.wait_until_rendered(SWAGGER_RENDERED)
        groups = [element.get_attribute("data-tag") for element in browser.find_elements("css selector", ".opblock-tag")]
        assert groups == AREAS
        journey.screenshot(f"swagger-{width}")
        if width == WIDTHS[0]:
            login_refusals(journey)
        journey.open("/api/redoc/")
        journey.wait_until_rendered(REDOC_RENDERED)
        sections = [element.get_attribute("data-section-id") for element in browser.find_elements("css selector", "[data-section-id^='tag/']")]
        assert [section.removeprefix("tag/") for section in sections if "/operation/" not in section] == AREAS
        journey.screenshot(f"redoc-{width}")


def login_refusals(journey: Journey) -> None:
    """Swagger UI's login operation, opened: its 401 names invalid_credentials, its 403 the login refusals, no other code."""
    journey.find("#operations-accounts-v1_login_create .opblock-summary-control").click()
    # The click only starts the opening: wait for the response rows before reading them.
    journey.find("#operations-accounts-v1_login_create tr.response[data-code='403']")
    rows = {row.get_attribute("data-code"): row for row in journey.driver.find_elements("css selector", "#operations-accounts-v1_login_create tr.response")}
    journey.driver.execute_script("arguments[0].scrollIntoView()", rows["401"])
    unauthorized, forbidden = rows["401"].text, rows["403"].text
    assert "`" not in unauthorized and "unauthorized" in unauthorized and "invalid_credentials" in unauthorized
    assert all(code in forbidden for code in ("forbidden", "account_disabled", "email_not_verified"))
    assert not any(code in unauthorized + forbidden for code in ("invalid_token", "token_reused", "Registration"))
    journey.screenshot("swagger-login-refusals")
