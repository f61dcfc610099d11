"""Every page we serve, opened in Chromium: it loads nothing from another host (not even an attempt
its Content-Security-Policy blocks), nothing on it answers 400 or more, and the console stays free of
errors, CSP violations included, so the policy blocks nothing a page needs. Each page is shot."""

import pytest

from accounts.email_tokens import Purpose, email_token_make
from tests.accounts.conftest import sign_up
from tests.conftest import make_tenant
from tests.e2e.browser import Journey
from tests.e2e.conftest import missing_browser
from tests.e2e.test_staff_journey import log_in

pytestmark = [
    pytest.mark.skipif(missing_browser() is not None, reason=f"browser tests skipped: {missing_browser()}"),
    pytest.mark.django_db(transaction=True),
    # What a page loads and what its policy allows are the same on every store.
    pytest.mark.store_independent,
]

SWAGGER_RENDERED = "return document.querySelectorAll('.opblock').length > 0;"
# Redoc ends its side menu with the "API docs by Redocly" footer, whose logo it adds just after.
REDOC_RENDERED = """
    return document.querySelectorAll('[data-section-id]').length > 0
        && !!document.querySelector('a[href="https://redocly.com/redoc/"]');
"""


@pytest.fixture
def served(transactional_db):
    """A client with a user, and a valid mailed token of each kind for it."""
    tenant = make_tenant("Offline Co")
    user = sign_up(tenant)
    tokens = {purpose: email_token_make(client=tenant.client, user=user.row(), purpose=purpose) for purpose in Purpose}
    return {
        "access_key": tenant.access_key,
        "client_id": tenant.client_id,
        "pk": tenant.client.pk,
        "verify_token": tokens[Purpose.VERIFY_EMAIL],
        "reset_token": tokens[Purpose.RESET_PASSWORD],
    }


# name: (path, what shows once the page is there, script true once it rendered itself, status)
PUBLIC_PAGES = {
    "client-docs": ("/docs/clients/{client_id}/", "#endpoints table", None, 200),
    "swagger-ui": ("/api/docs/", "#swagger-ui", SWAGGER_RENDERED, 200),
    "redoc": ("/api/redoc/", "#redoc-container", REDOC_RENDERED, 200),
    "verify-email-link": ("/links/{client_id}/verify-email?token={verify_token}", "form button", None, 200),
    "reset-password-link": ("/links/{client_id}/reset-password?token={reset_token}", "#id_new_password", None, 200),
    "invalid-link": ("/links/{client_id}/reset-password?token=not-a-token", "ul.errors", None, 400),
    "not-found": ("/no-such-page/", "main h1", None, 404),
}


@pytest.mark.parametrize("name", PUBLIC_PAGES)
def test_public_page_loads_only_from_this_host_and_breaks_no_policy(live_server, browser, served, tmp_path, name):
    """The docs page, Swagger UI, Redoc (once rendered), the mailed-link pages and the 404 page: clean in Chromium."""
    path, shown, rendered, status = PUBLIC_PAGES[name]
    journey = Journey(browser, live_server.url, tmp_path)
    if status != 200:
        journey.watch.expect(path.split("?")[0].format(**served), status)
    journey.open(path.format(**served))
    journey.find(shown)
    if rendered:
        journey.wait_until_rendered(rendered)
    journey.screenshot(name)
    assert any(url.startswith(live_server.url) for url in journey.watch.seen), "the watch saw no request: it would prove nothing"


def test_swagger_ui_calls_the_api_with_an_access_key(live_server, browser, served, tmp_path):
    """Authorize with the access key, try GET /api/v1/{client_id}/: Swagger UI shows the 200 answer, nothing blocked."""
    journey = Journey(browser, live_server.url, tmp_path)
    journey.open("/api/docs/")
    journey.wait_until_rendered(SWAGGER_RENDERED)
    journey.find("button.authorize").click()
    journey.find(".auth-container input").send_keys(served["access_key"])
    journey.find(".auth-btn-wrapper button.authorize").click()
    journey.find(".auth-btn-wrapper button.btn-done").click()
    journey.find('.opblock-get [data-path="/api/v1/{client_id}/"]').click()
    journey.find(".opblock.is-open button.try-out__btn").click()
    journey.find('.opblock.is-open tr[data-param-name="client_id"] input').send_keys(served["client_id"])
    journey.find(".opblock.is-open button.execute").click()
    assert journey.find(".opblock.is-open .live-responses-table tbody .response-col_status").text.strip() == "200"
    journey.screenshot("swagger-ui-tried")


def test_redoc_search_finds_an_operation(live_server, browser, served, tmp_path):
    """Redoc's search (an index built in a worker) lists the refresh operation for "refresh", nothing blocked."""
    journey = Journey(browser, live_server.url, tmp_path)
    journey.open("/api/redoc/")
    journey.wait_until_rendered(REDOC_RENDERED)
    journey.find('input[placeholder="Search..."]').send_keys("refresh")
    assert "refresh" in journey.find('[data-role="search:results"] li').text.lower()
    journey.screenshot("redoc-searched")


def test_a_form_sent_without_its_cookie_shows_a_page_that_says_what_to_do(live_server, browser, served, tmp_path):
    """The verify page's button pressed after its CSRF cookie is gone: our 403 page, styled, nothing blocked."""
    journey = Journey(browser, live_server.url, tmp_path)
    path = f"/links/{served['client_id']}/verify-email"
    journey.open(f"{path}?token={served['verify_token']}")
    journey.find("form button")
    journey.driver.delete_cookie("csrftoken")
    journey.watch.expect(path, 403)
    journey.find("form button").click()
    assert journey.find("main h1").text == "This form was not accepted"
    assert journey.driver.execute_script("return document.styleSheets.length") == 1  # its stylesheet loaded
    journey.screenshot("csrf-refused")


def background_of(journey: Journey, css: str) -> str:
    return journey.driver.execute_script("return getComputedStyle(document.querySelector(arguments[0])).backgroundColor;", css)


def test_admin_pages_load_only_from_this_host_and_break_no_policy(live_server, browser, superuser, served, tmp_path):
    """Login, index with its dashboard, client list, add and change pages, a client's users: clean in Chromium."""
    journey = Journey(browser, live_server.url, tmp_path)
    journey.open("/admin/login/")
    journey.find("#id_username")
    journey.screenshot("admin-login")

    log_in(journey)  # shoots the index, dashboard included
    journey.find(".authsvc-dashboard svg.authsvc-chart")
    # The dashboard's own styles apply: the legend's swatches have the chart's colours.
    assert background_of(journey, ".authsvc-legend .signups") == "rgb(65, 118, 144)"
    assert background_of(journey, ".authsvc-legend .logins") == "rgb(121, 174, 200)"

    for name, path, shown in [
        ("client-list", "/admin/tenants/client/", "#result_list"),
        ("client-add", "/admin/tenants/client/add/", "#id_client_name"),
        ("client-change", "/admin/tenants/client/{pk}/change/", ".object-tools"),
        ("client-users", "/admin/accounts/clients/{client_id}/users/", "#result_list"),
    ]:
        journey.open(path.format(**served))
        journey.find(shown)
        journey.screenshot(name)
