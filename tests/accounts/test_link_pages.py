"""Mailed tokens leave the URL at once: the link page keeps them in the session (PasswordResetConfirmView's way),
but only tokens we signed; the pages say which Referer and Origin the browser may send, keep CSRF on, and
are rate-limited per browser address. The whole journey in a real browser: tests/e2e/test_mailed_links.py."""

import time
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core import signing
from django.test import Client as BrowserClient

from accounts.email_tokens import EMAIL_TOKEN_MAX_AGE, Purpose, email_token_make
from audit.models import AuditLog
from tenants.user_models import user_model_for
from tests.accounts.conftest import PASSWORD, call
from tests.accounts.test_password_reset import NEW_PASSWORD, login, mailed_reset_token, reset_link
from tests.conftest import Tenant, make_tenant

pytestmark = pytest.mark.django_db(transaction=True)

PURPOSES = {"verify-email": Purpose.VERIFY_EMAIL, "reset-password": Purpose.RESET_PASSWORD}
PAGES = list(PURPOSES)
EMAIL = "ada@example.com"


@pytest.fixture
def verifying(transactional_db):
    return make_tenant("Verifying Co", require_email_verification=True)


def page_path(tenant: Tenant, page: str) -> str:
    return f"/links/{tenant.client_id}/{page}"


def signed_token(tenant: Tenant, page: str) -> str:
    """A token as the mail worker mints it, for a user signed up through the API."""
    if not user_model_for(tenant.client.client_id).objects.filter(email=EMAIL).exists():
        assert call(tenant, "signup", {"email": EMAIL, "password": PASSWORD}).status_code == 201
    user = user_model_for(tenant.client.client_id).objects.get(email=EMAIL)
    return email_token_make(client=tenant.client, user=user, purpose=PURPOSES[page])


def stored_sessions() -> int:
    """Rows in the session store: the service keeps sessions in the database (Django's default)."""
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.db"
    return Session.objects.count()


@pytest.mark.parametrize("page", PAGES)
def test_the_first_request_redirects_to_a_url_without_the_token(verifying, page):
    """GET ?token=… answers 302 to the bare path, with no Referer; the token is not in the Location."""
    token = signed_token(verifying, page)
    response = BrowserClient().get(page_path(verifying, page), {"token": token})
    assert response.status_code == 302
    assert response["Location"] == page_path(verifying, page)
    assert response["Referrer-Policy"] == "no-referrer"
    assert token not in response["Location"]


@pytest.mark.parametrize("page", PAGES)
def test_the_page_at_the_bare_url_lets_its_form_post_with_our_origin(verifying, page):
    """The form page says `same-origin` in header and meta tag: with `no-referrer` a browser posts `Origin: null` (a 403)."""
    page_response = BrowserClient().get(page_path(verifying, page), {"token": signed_token(verifying, page)}, follow=True)
    assert page_response.status_code == 200
    assert page_response["Referrer-Policy"] == "same-origin"
    assert b'<meta name="referrer" content="same-origin">' in page_response.content


def test_no_page_or_later_request_holds_the_token(user, mailoutbox):
    """After the redirect, the form page and its POST carry no token, yet the reset succeeds."""
    token = mailed_reset_token(user.tenant, mailoutbox)
    browser = BrowserClient()
    link = urlsplit(reset_link(mailoutbox[0]))
    page = browser.get(f"{link.path}?{link.query}", follow=True)
    assert token.encode() not in page.content
    assert all("token" not in url for url, _ in page.redirect_chain)
    done = browser.post(link.path, {"new_password": NEW_PASSWORD, "new_password_confirm": NEW_PASSWORD})
    assert done.status_code == 200, done.content
    assert "token" not in done.request["PATH_INFO"] and not done.request.get("QUERY_STRING")
    assert login(user.tenant, NEW_PASSWORD).status_code == 200


def test_a_token_in_the_post_body_is_ignored(user, mailoutbox):
    """Only the session's token counts: a POST that brings its own token (no session) is refused."""
    token = mailed_reset_token(user.tenant, mailoutbox)
    form = {"token": token, "new_password": NEW_PASSWORD, "new_password_confirm": NEW_PASSWORD}
    response = BrowserClient().post(f"/links/{user.tenant.client_id}/reset-password", form)
    assert response.status_code == 400
    assert login(user.tenant, PASSWORD).status_code == 200


def test_after_success_the_session_forgets_the_token(verifying, mailoutbox):
    """A second POST from the same browser after verifying finds no token: 400, not a second success."""
    call(verifying, "signup", {"email": "ada@example.com", "password": PASSWORD})
    link = urlsplit(next(line for line in mailoutbox[0].body.split() if "/links/" in line))
    browser = BrowserClient()
    browser.get(f"{link.path}?{link.query}", follow=True)
    assert browser.post(link.path).status_code == 200
    assert browser.post(link.path).status_code == 400


def test_each_client_and_page_has_its_own_slot(verifying, other_tenant):
    """A token stored for one client's page is not offered to another client's page."""
    token = signed_token(verifying, "verify-email")
    browser = BrowserClient()
    browser.get(page_path(verifying, "verify-email"), {"token": token})
    page = browser.get(page_path(other_tenant, "verify-email"))
    assert page.status_code == 400
    assert browser.session.get(f"accounts.link_token.verify-email.{verifying.client_id}") == token


# --- a token we did not sign costs nothing ----------------------------------------------------


class DayAgo:
    """django.core.signing's clock a day and a minute back: a token signed now is already expired."""

    @staticmethod
    def time() -> float:
        return time.time() - (EMAIL_TOKEN_MAX_AGE + timedelta(minutes=1)).total_seconds()


def expired_token(tenant: Tenant, page: str) -> str:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(signing, "time", DayAgo)
        return signed_token(tenant, page)


UNSIGNED = {
    "forged-3.9KB": lambda tenant, page: "A" * 3900,
    "garbage": lambda tenant, page: "not-a-token",
    "expired": expired_token,
    "other-page": lambda tenant, page: signed_token(tenant, "reset-password" if page == "verify-email" else "verify-email"),
    "other-client": lambda tenant, page: signed_token(make_tenant("Globex"), page),
}


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("kind", list(UNSIGNED))
def test_a_token_we_did_not_sign_for_this_page_gets_the_invalid_page_and_stores_no_session(verifying, page, kind):
    """Forged, expired, another page's or another client's: 400 invalid-link page at once, no cookie, no session row."""
    token = UNSIGNED[kind](verifying, page)
    before = stored_sessions()
    for _ in range(20):
        response = BrowserClient().get(page_path(verifying, page), {"token": token})
        assert response.status_code == 400
        assert b"This link does not work" in response.content
        assert response["Referrer-Policy"] == "no-referrer"  # the token is still in this page's URL
        assert settings.SESSION_COOKIE_NAME not in response.cookies
    assert stored_sessions() == before


def test_a_signed_token_is_stored_in_one_session(verifying):
    """The contrast: a token we signed makes one session row, which the bare page then reads."""
    before = stored_sessions()
    browser = BrowserClient()
    assert browser.get(page_path(verifying, "verify-email"), {"token": signed_token(verifying, "verify-email")}).status_code == 302
    assert stored_sessions() == before + 1
    assert browser.get(page_path(verifying, "verify-email")).status_code == 200


# --- CSRF stays on -----------------------------------------------------------------------------


def public_origin() -> str:
    origin = settings.CSRF_TRUSTED_ORIGINS[0]
    assert settings.AUTHSVC_PUBLIC_URL.startswith(origin)
    return origin


ORIGINS = [
    pytest.param(lambda: "http://testserver", 200, id="this-host"),
    # A proxy that rewrites Host: the browser's Origin is the public URL's, which Django trusts.
    pytest.param(public_origin, 200, id="public-url-behind-a-proxy"),
    # What Chromium sends from a page that says `no-referrer`.
    pytest.param(lambda: "null", 403, id="null"),
    pytest.param(lambda: "https://evil.example", 403, id="another-site"),
]


@pytest.mark.parametrize(("origin", "status"), ORIGINS)
def test_the_form_post_passes_csrf_only_from_our_own_origin(verifying, origin, status):
    """With a valid CSRF token, the POST's Origin decides: ours or the public URL's pass, null and other sites get 403."""
    browser = BrowserClient(enforce_csrf_checks=True)
    page = browser.get(page_path(verifying, "verify-email"), {"token": signed_token(verifying, "verify-email")}, follow=True)
    form = {"csrfmiddlewaretoken": page.context["csrf_token"]}
    response = browser.post(page_path(verifying, "verify-email"), form, HTTP_ORIGIN=origin())
    assert response.status_code == status
    assert user_model_for(verifying.client.client_id).objects.get(email=EMAIL).email_verified is (status == 200)


# --- per-address rate limit (link_ip) ----------------------------------------------------------

RATE = 2


def open_page(tenant: Tenant, peer: str, page: str = "verify-email", method: str = "get"):
    return getattr(BrowserClient(), method)(page_path(tenant, page), REMOTE_ADDR=peer)


def assert_rate_limited_page(response) -> None:
    assert response.status_code == 429
    assert response["Content-Type"].startswith("text/html")
    assert b"Too many requests" in response.content
    assert 1 <= int(response["Retry-After"]) <= 3600


def test_the_link_pages_of_one_client_are_rate_limited_per_browser_address(verifying, other_tenant):
    """Over `link_ip` one address gets a 429 page on both pages; another address, or another client's pages, still answer."""
    verifying.client.rate_limits = {"link_ip": f"{RATE}/h"}
    verifying.client.save(update_fields=["rate_limits"])
    for page in PAGES:
        assert open_page(verifying, "203.0.113.7", page).status_code == 400
    assert_rate_limited_page(open_page(verifying, "203.0.113.7", "verify-email"))
    assert_rate_limited_page(open_page(verifying, "203.0.113.7", "reset-password"))
    assert_rate_limited_page(BrowserClient().get(page_path(verifying, "verify-email"), {"token": "x"}, REMOTE_ADDR="203.0.113.7"))
    assert open_page(verifying, "198.51.100.9").status_code == 400
    assert open_page(other_tenant, "203.0.113.7").status_code == 400
    # Only attempts leave records: refused GETs wrote nothing.
    assert not AuditLog.objects.filter(action="rate_limited").exists()


def test_a_refused_post_is_audited_once_and_changes_nothing(verifying):
    """A POST over the limit answers the 429 page, leaves one `rate_limited` record, and verifies nothing."""
    verifying.client.rate_limits = {"link_ip": "1/h"}
    verifying.client.save(update_fields=["rate_limits"])
    browser = BrowserClient()
    assert browser.get(page_path(verifying, "verify-email"), {"token": signed_token(verifying, "verify-email")}).status_code == 302
    assert_rate_limited_page(browser.post(page_path(verifying, "verify-email")))
    records = AuditLog.objects.filter(action="rate_limited")
    assert [(record.client_id, record.metadata) for record in records] == [
        (verifying.client.client_id, {"attempted": "email_verify", "limit": "link_ip"})
    ]
    assert user_model_for(verifying.client.client_id).objects.get(email=EMAIL).email_verified is False
