"""Password reset: POST password/forgot, POST password/reset and the /links/ reset page."""

import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.core import signing
from django.test import Client as BrowserClient

from accounts.email_tokens import Purpose, email_token_make, email_token_user
from accounts.flows import password_reset
from tenants.user_models import user_model_for
from tests.accounts.conftest import PASSWORD, call, log_in
from tests.conftest import make_tenant

pytestmark = pytest.mark.django_db(transaction=True)

EMAIL = "ada@example.com"
NEW_PASSWORD = "Another-horse-battery-staple-7"
LINK = re.compile(r"https?://[^\s\"<>]+/links/[0-9a-f-]{36}/[a-z-]+\?token=[^\s\"<>]+")
FORGOT_BODY = {"detail": "If this email belongs to an account, a password reset link is on its way."}


@pytest.fixture
def clock(monkeypatch):
    """Moves the clock of django.core.signing only: tokens age, nothing else does."""

    class Clock:
        offset = 0.0

        def time(self) -> float:
            return time.time() + self.offset

    fake = Clock()
    monkeypatch.setattr(signing, "time", fake)
    return fake


def reset_link(message) -> str:
    """The one reset link of `message`, the same in its text and HTML parts."""
    links = set(LINK.findall(message.body))
    assert len(links) == 1, message.body
    link = links.pop()
    html, mimetype = message.alternatives[0]
    assert (mimetype, link in html) == ("text/html", True)
    return link


def token_in(message) -> str:
    return parse_qs(urlsplit(reset_link(message)).query)["token"][0]


def forgot(tenant, email: str = EMAIL):
    return call(tenant, "password/forgot", {"email": email})


def reset(tenant, token: str, new_password: str = NEW_PASSWORD):
    return call(tenant, "password/reset", {"token": token, "new_password": new_password})


def login(tenant, password: str, email: str = EMAIL):
    return call(tenant, "login", {"email": email, "password": password})


def refresh(tenant, refresh_token: str):
    return call(tenant, "token/refresh", {"refresh_token": refresh_token})


def mailed_reset_token(tenant, mailoutbox, email: str = EMAIL) -> str:
    assert forgot(tenant, email).status_code == 202
    return token_in(mailoutbox[-1])


def assert_token_refused(response) -> None:
    assert response.status_code == 400, response.content
    assert response.json()["error"] == "invalid_request"
    assert response.json()["fields"]["token"]


def test_forgot_mails_a_reset_link_with_text_and_html(user, mailoutbox):
    """An existing user gets one mail whose parts both carry a ?token= link to our reset page."""
    response = forgot(user.tenant, "  ADA@example.com ")

    assert (response.status_code, response.json()) == (202, FORGOT_BODY)
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [EMAIL]
    assert "Acme" in mailoutbox[0].subject
    link = reset_link(mailoutbox[0])
    assert link.startswith(f"{settings.AUTHSVC_PUBLIC_URL}/links/{user.tenant.client_id}/reset-password?token=")


@pytest.mark.parametrize(
    ("asked_email", "deactivated", "mails"),
    [
        pytest.param(EMAIL, False, 1, id="existing-user"),
        pytest.param("nobody@example.com", False, 0, id="unknown-email"),
        pytest.param(EMAIL, True, 0, id="deactivated-user"),
    ],
)
def test_forgot_answers_the_same_whether_or_not_the_email_exists(user, mailoutbox, asked_email, deactivated, mails):
    """202 with one fixed body in every case; only an active existing user gets mail."""
    if deactivated:
        user_model_for(user.tenant.client.client_id).objects.filter(pk=user.user_id).update(is_active=False)

    response = forgot(user.tenant, asked_email)

    assert (response.status_code, response.json()) == (202, FORGOT_BODY)
    assert len(mailoutbox) == mails


def test_reset_flow_changes_the_password_and_revokes_every_session(user, mailoutbox):
    """After a reset the old password fails, the new one works, every old refresh token is 401, the token is spent."""
    second_session = log_in(user)
    token = mailed_reset_token(user.tenant, mailoutbox)

    response = reset(user.tenant, token)

    assert response.status_code == 200
    assert response.json() == {"password_reset": True, "user_id": user.user_id}
    assert login(user.tenant, PASSWORD).json()["error"] == "invalid_credentials"
    assert login(user.tenant, NEW_PASSWORD).status_code == 200
    for session in (user, second_session):
        old = refresh(user.tenant, session.refresh_token)
        assert (old.status_code, old.json()["error"]) == (401, "invalid_token")
    assert_token_refused(reset(user.tenant, token, "Yet-another-horse-battery-3"))
    assert login(user.tenant, NEW_PASSWORD).status_code == 200


def test_using_one_reset_link_kills_the_others(user, mailoutbox):
    """Two links were mailed; once one has set a password, the other is refused."""
    first = mailed_reset_token(user.tenant, mailoutbox)
    second = mailed_reset_token(user.tenant, mailoutbox)

    assert reset(user.tenant, second).status_code == 200
    assert_token_refused(reset(user.tenant, first, "Yet-another-horse-battery-3"))


def test_of_two_interleaved_resets_with_one_token_exactly_one_applies(user, mailoutbox, monkeypatch):
    """A second reset landing between the first one's token check and its write makes the first one refused."""
    token = mailed_reset_token(user.tenant, mailoutbox)
    outcomes, interleaved = [], []

    def check_then_let_another_reset_win(**kwargs):
        row = email_token_user(**kwargs)
        if not interleaved:
            interleaved.append(True)  # before the call: the inner use passes through here too
            outcomes.append(reset(user.tenant, token).status_code)
        return row

    monkeypatch.setattr(password_reset, "email_token_user", check_then_let_another_reset_win)
    outcomes.append(reset(user.tenant, token, "Yet-another-horse-battery-3").status_code)

    assert outcomes == [200, 400]
    assert login(user.tenant, NEW_PASSWORD).status_code == 200


@pytest.mark.parametrize(
    "weak_password",
    [
        pytest.param("Sh0rt!", id="too-short"),
        pytest.param("83749261530", id="numeric"),
        pytest.param("password123", id="common"),
        pytest.param("ada@example.com1", id="like-the-email"),
    ],
)
def test_reset_with_a_weak_password_is_400_and_keeps_the_token(user, mailoutbox, weak_password):
    """Validators apply: 400 with fields.new_password, the password unchanged, the token still usable."""
    token = mailed_reset_token(user.tenant, mailoutbox)

    response = reset(user.tenant, token, weak_password)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert response.json()["fields"]["new_password"]
    assert login(user.tenant, PASSWORD).status_code == 200
    assert reset(user.tenant, token).status_code == 200


def verification_token_of(tenant, user) -> str:
    return email_token_make(client=tenant.client, user=user.row(), purpose=Purpose.VERIFY_EMAIL)


def token_of_other_client(tenant, user) -> str:
    """A reset token of another client for an exact twin (same id, email, hash) of the user."""
    other = make_tenant("Globex", "E-commerce")
    row = user.row()
    twin = user_model_for(other.client.client_id).objects.create(
        user_id=row.user_id, email=row.email, password_hash=row.password_hash, email_verified=row.email_verified
    )
    return email_token_make(client=other.client, user=twin, purpose=Purpose.RESET_PASSWORD)


@pytest.mark.parametrize(
    "make_token",
    [
        pytest.param(lambda tenant, user: "not-a-token", id="garbage"),
        pytest.param(verification_token_of, id="verification-token"),
        pytest.param(token_of_other_client, id="other-clients-token"),
    ],
)
def test_reset_refuses_tokens_that_are_not_this_clients_reset_tokens(user, make_token):
    """Garbage, wrong-purpose and other-client tokens are 400 on fields.token and change nothing."""
    response = reset(user.tenant, make_token(user.tenant, user))

    assert_token_refused(response)
    assert login(user.tenant, PASSWORD).status_code == 200


@pytest.mark.parametrize(("age", "status"), [(24 * 3600 - 60, 200), (24 * 3600 + 1, 400)])
def test_reset_token_lives_24_hours(user, mailoutbox, clock, age, status):
    """A reset link works until 24 h after it was mailed, not after."""
    token = mailed_reset_token(user.tenant, mailoutbox)

    clock.offset = age

    assert reset(user.tenant, token).status_code == status


def test_reset_refuses_the_token_of_a_user_deactivated_since(user, mailoutbox):
    """Deactivating a user kills the reset links already mailed to them."""
    token = mailed_reset_token(user.tenant, mailoutbox)
    user_model_for(user.tenant.client.client_id).objects.filter(pk=user.user_id).update(is_active=False)

    assert_token_refused(reset(user.tenant, token))


def test_reset_through_the_mailbox_also_verifies_the_email(transactional_db, mailoutbox):
    """A user who never verified but resets through the mailed link can log in: the link proved the mailbox."""
    verifying = make_tenant("Verify Co", require_email_verification=True)
    assert call(verifying, "signup", {"email": EMAIL, "password": PASSWORD}).status_code == 201
    token = mailed_reset_token(verifying, mailoutbox)

    assert reset(verifying, token).status_code == 200

    assert login(verifying, NEW_PASSWORD).status_code == 200


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("password/forgot", {"email": "not an email"}, "email"),
        ("password/reset", {"new_password": NEW_PASSWORD}, "token"),
        ("password/reset", {"token": "x", "new_password": "y" * 2000}, "new_password"),
    ],
)
def test_malformed_bodies_are_400_with_the_field(tenant, path, body, field):
    """Format errors name their field (and say nothing about whether an account exists)."""
    response = call(tenant, path, body)

    assert response.status_code == 400
    assert field in response.json()["fields"]


# --- the page the link opens -----------------------------------------------------------


def page_path(tenant) -> str:
    return f"/links/{tenant.client_id}/reset-password"


def open_reset_page(browser, link: str):
    parts = urlsplit(link)
    page = browser.get(f"{parts.path}?{parts.query}", follow=True)
    assert page.redirect_chain == [(parts.path, 302)], "the token leaves the URL at once"
    assert page.status_code == 200
    return page


def submit(browser, tenant, page, password: str, confirm: str | None = None):
    form = {
        "new_password": password,
        "new_password_confirm": password if confirm is None else confirm,
        "csrfmiddlewaretoken": page.context["csrf_token"],
    }
    return browser.post(page_path(tenant), form)


@pytest.fixture
def browser():
    """A browser that, unlike the test default, enforces CSRF as a real one meets it."""
    return BrowserClient(enforce_csrf_checks=True)


def test_reset_page_shows_a_form_then_sets_the_password(user, mailoutbox, browser):
    """GET shows the password form (uncached, Referer only to us); a valid POST resets and signs everyone out."""
    mailed_reset_token(user.tenant, mailoutbox)
    page = open_reset_page(browser, reset_link(mailoutbox[0]))
    assert b'name="new_password"' in page.content and b"csrfmiddlewaretoken" in page.content
    assert page["Referrer-Policy"] == "same-origin"
    assert "no-store" in page["Cache-Control"]

    done = submit(browser, user.tenant, page, NEW_PASSWORD)

    assert done.status_code == 200
    assert b"Password changed" in done.content
    assert login(user.tenant, NEW_PASSWORD).status_code == 200
    assert refresh(user.tenant, user.refresh_token).status_code == 401


@pytest.mark.parametrize(
    ("password", "confirm", "message"),
    [
        pytest.param("83749261530", None, b"This password is entirely numeric.", id="weak"),
        pytest.param(NEW_PASSWORD, NEW_PASSWORD + "x", b"The two passwords differ.", id="mismatch"),
    ],
)
def test_reset_page_shows_errors_and_keeps_the_password(user, mailoutbox, browser, password, confirm, message):
    """A weak or mismatched password re-shows the form with the error, status 400, nothing changed."""
    mailed_reset_token(user.tenant, mailoutbox)
    page = open_reset_page(browser, reset_link(mailoutbox[0]))

    response = submit(browser, user.tenant, page, password, confirm)

    assert response.status_code == 400
    assert message in response.content
    assert b'name="new_password"' in response.content
    assert login(user.tenant, PASSWORD).status_code == 200


@pytest.mark.parametrize("method", ["get", "post"])
def test_reset_page_with_a_used_token_shows_an_error_page(user, mailoutbox, method):
    """After the reset, the same link opens (or posts to) a 400 error page."""
    token = mailed_reset_token(user.tenant, mailoutbox)
    assert reset(user.tenant, token).status_code == 200
    browser = BrowserClient()
    opened = browser.get(page_path(user.tenant), {"token": token}, follow=True)
    form = {"new_password": "Yet-another-horse-battery-3", "new_password_confirm": "Yet-another-horse-battery-3"}

    response = opened if method == "get" else browser.post(page_path(user.tenant), form)

    assert response.status_code == 400
    assert b"This link does not work" in response.content
    assert login(user.tenant, NEW_PASSWORD).status_code == 200
