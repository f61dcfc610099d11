"""Every page we serve loads its scripts, styles, fonts and images from this host only.

Two views of it: the HTML and the static files it references, read through the test client and
the staticfiles finders; and (when Chromium is installed) what a real browser fetches while it
renders Swagger UI and Redoc.
"""

import json
import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.staticfiles import finders

from tests.e2e.conftest import missing_browser

# Static assets and the pages' markup: the same whatever the store.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.store_independent]

HOST = "testserver"
# Hosts that the vendored bundles are known to fetch from when nothing stops them.
FETCHED_HOSTS = ("fonts.googleapis.com", "fonts.gstatic.com", "cdn.redoc.ly", "cdn.jsdelivr.net", "unpkg.com", "validator.swagger.io")
# <link rel=...> values that make the browser fetch (or connect to) the href.
LOADING_RELS = {"stylesheet", "icon", "shortcut", "apple-touch-icon", "preload", "modulepreload", "prefetch", "preconnect", "dns-prefetch", "manifest"}
SRC_ATTRIBUTES = {"src", "srcset", "poster", "data"}
CSS_URL = re.compile(r"""url\(\s*['"]?([^'")\s]+)|@import\s+['"]([^'"]+)['"]""")
# CSP sources that do not name another host.
SAME_HOST_SOURCES = {"'self'", "'none'", "'unsafe-inline'", "'unsafe-eval'", "data:", "blob:"}


class LoadedResources(HTMLParser):
    """The URLs an HTML page makes the browser load, its inline scripts, and its inline CSS."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []
        self.scripts: list[str] = []
        self.css: list[str] = []
        self._in = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name in SRC_ATTRIBUTES & attributes.keys():
            self.urls += [part.split()[0] for part in (attributes[name] or "").split(",") if part.strip()]
        rels = set((attributes.get("rel") or "").lower().split())
        if tag == "link" and rels & LOADING_RELS and attributes.get("href"):
            self.urls.append(attributes["href"])
        if attributes.get("style"):
            self.css.append(attributes["style"])
        self._in = tag if tag in ("script", "style") else None

    def handle_data(self, data):
        if self._in == "script":
            self.scripts.append(data)
        elif self._in == "style":
            self.css.append(data)

    def handle_endtag(self, tag):
        self._in = None


def css_urls(css: str) -> list[str]:
    return [first or second for first, second in CSS_URL.findall(css)]


def is_this_host(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("data", "blob") or parts.netloc in ("", HOST)


def static_file(url: str) -> str | None:
    """The text of a static file this host serves at `url`, found the way the server finds it."""
    path = urlsplit(url).path
    if not path.startswith(settings.STATIC_URL):
        return None
    found = finders.find(path.removeprefix(settings.STATIC_URL))
    assert found, f"{url} is referenced but not served"
    with open(found, encoding="utf-8", errors="replace") as handle:
        return handle.read()


def policy_keeps_to_this_host(response) -> bool:
    """The page's Content-Security-Policy lets the browser fetch from this host (and data:/blob:) only."""
    directives = [part.split() for part in response.get("Content-Security-Policy", "").split(";") if part.strip()]
    by_name = {words[0]: words[1:] for words in directives}
    return "default-src" in by_name and all(source in SAME_HOST_SOURCES for sources in by_name.values() for source in sources)


def foreign_loads(page_url: str, response) -> list[str]:
    """What the page, and the static files it references, would load from another host."""
    page = LoadedResources()
    page.feed(response.content.decode())
    problems = [url for url in page.urls if not is_this_host(urljoin(page_url, url))]
    problems += [url for css in page.css for url in css_urls(css) if not is_this_host(urljoin(page_url, url))]
    scripts = list(page.scripts)
    for url in page.urls:
        absolute = urljoin(page_url, url)
        text = static_file(absolute) if is_this_host(absolute) else None
        if text is None:
            continue
        if urlsplit(absolute).path.endswith(".css"):
            problems += [f"{url} -> {ref}" for ref in css_urls(text) if not is_this_host(urljoin(absolute, ref))]
        elif urlsplit(absolute).path.endswith(".js"):
            scripts.append(text)
    # A bundle may name a host in code that fetches from it: allowed only where the page's
    # policy forbids the browser to fetch from any other host.
    if not policy_keeps_to_this_host(response):
        problems += [f"script fetches {host}" for host in FETCHED_HOSTS for script in scripts if host in script]
    return problems


@pytest.fixture
def staff(client):
    user = get_user_model().objects.create_superuser("offline-staff", "staff@example.com", password=None)
    client.force_login(user)
    return client


PUBLIC_PAGES = {
    "swagger": "/api/docs/",
    "redoc": "/api/redoc/",
    "client-docs": "/docs/clients/{client_id}/",
    "verify-link-without-token": "/links/{client_id}/verify-email",
    "verify-link": "/links/{client_id}/verify-email?token=not-a-token",
    "reset-link": "/links/{client_id}/reset-password?token=not-a-token",
    "admin-login": "/admin/login/",
}


@pytest.mark.parametrize("page", PUBLIC_PAGES.values(), ids=PUBLIC_PAGES.keys())
def test_public_page_loads_nothing_from_another_host(client, tenant, page):
    """Swagger UI, Redoc, a client's docs page, the mailed-link pages and the admin login load from this host only."""
    path = page.format(client_id=tenant.client_id)
    response = client.get(path)
    assert response.status_code < 500
    assert foreign_loads(f"http://{HOST}{path}", response) == []


@pytest.mark.parametrize("path", ["/admin/", "/admin/tenants/client/"])
def test_staff_page_loads_nothing_from_another_host(staff, tenant, path):
    """The admin index and the client list, as a superuser sees them, load from this host only."""
    response = staff.get(path)
    assert response.status_code == 200
    assert foreign_loads(f"http://{HOST}{path}", response) == []


def test_redoc_page_does_not_link_google_fonts(client):
    """Redoc's page itself names no font host (drf-spectacular's default template links Google Fonts)."""
    html = client.get("/api/redoc/").content.decode()
    assert "fonts.googleapis.com" not in html and "fonts.gstatic.com" not in html


# --- in a real browser ------------------------------------------------------------------------

WAIT_SECONDS = 20
RENDERED = {
    # The footer whose logo Redoc fetches from cdn.redoc.ly; done once the logo is loaded, failed or gone.
    "/api/redoc/": """
        const footer = document.querySelector('a[href="https://redocly.com/redoc/"]');
        const logo = footer && footer.querySelector('img');
        return !!footer && (!logo || logo.complete);
    """,
    "/api/docs/": "return document.querySelectorAll('.opblock').length > 0;",
}


@pytest.fixture
def logging_browser(tmp_path):
    """Headless Chromium that keeps its network log (the e2e `browser` fixture, with logging on)."""
    reason = missing_browser()
    if reason:
        pytest.skip(f"browser test skipped: {reason}")
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (requirements-dev.txt)")
    from selenium.webdriver.chrome.service import Service

    from tests.e2e.conftest import CHROMEDRIVER, CHROMIUM, CHROMIUM_FLAGS

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'chromium-profile'}")
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def requests_sent(driver) -> list[str]:
    """URLs the page asked the network for, from Chromium's network log.

    Requests the browser blocked itself (the page's CSP) never left it and are not counted.
    `performance.getEntriesByType('resource')` cannot tell those apart: Chromium lists them too.
    """
    events = [json.loads(entry["message"])["message"] for entry in driver.get_log("performance")]
    sent = {event["params"]["requestId"]: event["params"]["request"]["url"] for event in events if event["method"] == "Network.requestWillBeSent"}
    blocked = {event["params"]["requestId"] for event in events if event["method"] == "Network.loadingFailed" and event["params"].get("blockedReason")}
    return [url for request_id, url in sent.items() if request_id not in blocked]


@pytest.mark.parametrize("path", list(RENDERED))
def test_browser_fetches_only_from_this_host(logging_browser, live_server, path):
    """Rendering Swagger UI or Redoc in Chromium fetches nothing from another host."""
    from selenium.webdriver.support.ui import WebDriverWait

    logging_browser.get(f"{live_server.url}{path}")
    WebDriverWait(logging_browser, WAIT_SECONDS).until(lambda driver: driver.execute_script(RENDERED[path]))
    host = urlsplit(live_server.url).netloc
    fetched = [url for url in requests_sent(logging_browser) if urlsplit(url).scheme in ("http", "https")]
    assert fetched, "the page loaded nothing: the check would prove nothing"
    assert [url for url in fetched if urlsplit(url).netloc != host] == []
