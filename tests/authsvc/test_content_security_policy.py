"""Every response carries a strict Content-Security-Policy, and every page obeys its own.

The policy: nothing from another host, no inline script or style, no plugins, no <base>, no
framing, forms post here only. Swagger UI and Redoc widen it by exactly what they need
(authsvc/api_docs.py); tests/e2e/test_pages_offline_and_csp.py shows in Chromium that no page
needs more.
"""

from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client

from accounts.email_tokens import Purpose, email_token_make
from authsvc.api_docs import EMPTY_STYLESHEET, REDOC_SCROLLBAR_STYLESHEET
from tests.accounts.conftest import sign_up

# The header is set by one middleware, whatever the store.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.store_independent]

STRICT = {
    "default-src": {"'none'"},
    "script-src": {"'self'"},
    "style-src": {"'self'"},
    "img-src": {"'self'"},
    "font-src": {"'self'"},
    "connect-src": {"'self'"},
    "form-action": {"'self'"},
    "frame-ancestors": {"'none'"},
    "base-uri": {"'none'"},
    "object-src": {"'none'"},
}
SWAGGER_UI = {**STRICT, "img-src": {"'self'", "data:"}}
REDOC = {
    **STRICT,
    "style-src": {"'self'", EMPTY_STYLESHEET, REDOC_SCROLLBAR_STYLESHEET},
    "img-src": {"'self'", "data:"},
    "worker-src": {"blob:"},
}

# name: (path, who asks, status, the policy it gets)
PAGES = {
    "admin-login": ("/admin/login/", "anyone", 200, STRICT),
    "admin-index": ("/admin/", "staff", 200, STRICT),
    "admin-client-list": ("/admin/tenants/client/", "staff", 200, STRICT),
    "admin-client-change": ("/admin/tenants/client/{pk}/change/", "staff", 200, STRICT),
    "admin-client-users": ("/admin/accounts/clients/{client_id}/users/", "staff", 200, STRICT),
    "client-docs": ("/docs/clients/{client_id}/", "anyone", 200, STRICT),
    "verify-email-link": ("/links/{client_id}/verify-email?token={verify_token}", "anyone", 200, STRICT),
    "reset-password-link": ("/links/{client_id}/reset-password?token={reset_token}", "anyone", 200, STRICT),
    "invalid-link": ("/links/{client_id}/reset-password", "anyone", 400, STRICT),
    "not-found": ("/no-such-page/", "anyone", 404, STRICT),
    "swagger-ui": ("/api/docs/", "anyone", 200, SWAGGER_UI),
    "swagger-ui-script": ("/api/docs/?script=", "anyone", 200, SWAGGER_UI),
    "redoc": ("/api/redoc/", "anyone", 200, REDOC),
    "openapi-schema": ("/api/schema/", "anyone", 200, STRICT),
    "json-api": ("/api/v1/{client_id}/", "the client", 200, STRICT),
    "jwks": ("/.well-known/jwks.json", "anyone", 200, STRICT),
    "discovery": ("/.well-known/openid-configuration", "anyone", 200, STRICT),
    "favicon": ("/favicon.ico", "anyone", 200, STRICT),
    "static-svg": ("/static/admin/img/icon-yes.svg", "anyone", 200, STRICT),
    "healthz": ("/healthz", "anyone", 200, STRICT),
    "readyz": ("/readyz", "anyone", 200, STRICT),
}
NOT_HTML = {"swagger-ui-script", "openapi-schema", "json-api", "jwks", "discovery", "favicon", "static-svg", "healthz", "readyz"}


@pytest.fixture
def served(tenant):
    """A client with a user, a mailed token of each kind, and its access key."""
    row = sign_up(tenant).row()
    return {
        "pk": tenant.client.pk,
        "client_id": tenant.client_id,
        "auth": tenant.auth,
        "verify_token": email_token_make(client=tenant.client, user=row, purpose=Purpose.VERIFY_EMAIL),
        "reset_token": email_token_make(client=tenant.client, user=row, purpose=Purpose.RESET_PASSWORD),
    }


@pytest.fixture
def fetch(client, served):
    """GET a page of the table as the person it names, following the mailed links' redirect."""

    def get(name: str):
        path, who, status, _ = PAGES[name]
        if who == "staff":
            client.force_login(get_user_model().objects.create_superuser("csp-staff", "staff@example.com", password=None))
        extra = served["auth"] if who == "the client" else {}
        response = client.get(path.format(**served), follow=True, **extra)
        assert response.status_code == status, response.content[:500]
        return response

    return get


def policy_of(response) -> dict[str, set[str]]:
    """The Content-Security-Policy header as directive -> sources."""
    header = response.get("Content-Security-Policy", "")
    directives = [part.split() for part in header.split(";") if part.strip()]
    return {words[0]: set(words[1:]) for words in directives}


@pytest.mark.parametrize("name", PAGES)
def test_every_response_carries_its_strict_policy(fetch, name):
    """Each page, API answer and static file has the site's policy, or the docs pages' exact additions to it."""
    assert policy_of(fetch(name)) == PAGES[name][3]


class InlineCode(HTMLParser):
    """Inline scripts and styles, style attributes and event-handler attributes: what the policy blocks."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        runs = tag == "script" and "src" not in attributes and attributes.get("type") != "application/json"
        if runs or tag == "style":
            self.found.append(f"<{tag}>")
        self.found += [f"{name}= on <{tag}>" for name in attributes if name == "style" or name.startswith("on")]


@pytest.mark.parametrize("name", [name for name in PAGES if name not in NOT_HTML])
def test_every_page_obeys_its_own_policy(fetch, name):
    """No page holds an inline script or style, a style attribute or an event-handler attribute (JSON data aside)."""
    page = InlineCode()
    page.feed(fetch(name).content.decode())
    assert page.found == []



def test_a_refused_form_shows_our_page_under_the_policy(served):
    """A POST without its CSRF cookie answers our 403 page: the strict policy, and nothing inline it would block."""
    browser = Client(enforce_csrf_checks=True)
    browser.get(f"/links/{served['client_id']}/verify-email?token={served['verify_token']}", follow=True)
    browser.cookies.pop(settings.CSRF_COOKIE_NAME, None)
    response = browser.post(f"/links/{served['client_id']}/verify-email", {})
    assert response.status_code == 403
    assert b"This form was not accepted" in response.content
    assert policy_of(response) == STRICT
    page = InlineCode()
    page.feed(response.content.decode())
    assert page.found == []
