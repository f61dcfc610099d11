"""Mailed tokens leave the URL at once: the link page keeps them in the session (PasswordResetConfirmView's way)."""

from urllib.parse import urlsplit

import pytest
from django.test import Client as BrowserClient

from tests.accounts.conftest import PASSWORD, call
from tests.accounts.test_password_reset import NEW_PASSWORD, login, mailed_reset_token, reset_link
from tests.conftest import make_tenant

pytestmark = pytest.mark.django_db(transaction=True)

PAGES = ["verify-email", "reset-password"]


@pytest.fixture
def verifying(transactional_db):
    return make_tenant("Verifying Co", require_email_verification=True)


@pytest.mark.parametrize("page", PAGES)
def test_the_first_request_redirects_to_a_url_without_the_token(verifying, page):
    """GET ?token=… answers 302 to the bare path, with no Referer; the token is not in the Location."""
    secret = "a-mailed-token-value"
    response = BrowserClient().get(f"/links/{verifying.client_id}/{page}", {"token": secret})
    assert response.status_code == 302
    assert response["Location"] == f"/links/{verifying.client_id}/{page}"
    assert response["Referrer-Policy"] == "no-referrer"
    assert secret not in response["Location"]


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
    browser = BrowserClient()
    browser.get(f"/links/{verifying.client_id}/verify-email", {"token": "token-of-verifying"})
    page = browser.get(f"/links/{other_tenant.client_id}/verify-email")
    assert page.status_code == 400
    assert browser.session.get(f"accounts.link_token.verify-email.{verifying.client_id}") == "token-of-verifying"
