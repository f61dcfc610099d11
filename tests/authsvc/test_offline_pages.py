"""Every page we serve loads its scripts, styles, fonts and images from this host only.

Read here from the HTML and the static files it references, through the test client and the
staticfiles finders. What Chromium actually fetches while it renders each page, Swagger UI and
Redoc included, is watched by tests/e2e/test_pages_offline_and_csp.py.
"""

import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.staticfiles import finders

# Static assets and the pages' markup: the same whatever the store.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.store_independent]

HOST = "testserver"
# Hosts that the vendored bundles are known to fetch from when nothing stops them.
FETCHED_HOSTS = ("fonts.googleapis.com", "fonts.gstatic.com", "cdn.redoc.ly", "cdn.jsdelivr.net", "unpkg.com", "validator.swagger.io")
# <link rel=...> values that make the browser fetch (or connect to) the href.
LOADING_RELS = {"stylesheet", "icon", "shortcut", "apple-touch-icon", "preload", "modulepreload", "prefetch", "preconnect", "dns-prefetch", "manifest"}
SRC_ATTRIBUTES = {"src", "srcset", "poster", "data"}
CSS_URL = re.compile(r"""url\(\s*['"]?([^'")\s]+)|@import\s+['"]([^'"]+)['"]""")
# CSP sources that do not name another host (a nonce or hash allows inline code only).
SAME_HOST_SOURCES = re.compile(r"'self'|'none'|'unsafe-inline'|'unsafe-eval'|data:|blob:|'nonce-[^']+'|'sha(256|384|512)-[^']+'")


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
    return "default-src" in by_name and all(SAME_HOST_SOURCES.fullmatch(source) for sources in by_name.values() for source in sources)


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
