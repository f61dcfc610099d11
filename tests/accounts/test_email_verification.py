"""Email verification: signup mail, POST email/verify, POST email/resend and the /links/ page."""

import logging
import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.core import signing
from django.core.mail.backends.base import BaseEmailBackend
from django.test import Client as BrowserClient

from accounts.email_tokens import Purpose, email_token_make, email_token_user
from accounts.flows import email_verification
from tenants.user_models import user_model_for
from tests.accounts.conftest import PASSWORD, call
from tests.conftest import make_tenant

pytestmark = pytest.mark.django_db(transaction=True)

EMAIL = "ada@example.com"
LINK = re.compile(r"https?://[^\s\"<>]+/links/[0-9a-f-]{36}/[a-z-]+\?token=[^\s\"<>]+")


@pytest.fixture
def verifying(transactional_db):
    return make_tenant("Verify Co", require_email_verification=True)


@pytest.fixture
def other_verifying(transactional_db):
    return make_tenant("Other Verify Co", "E-commerce", require_email_verification=True)


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


def mailed_link(message, page: str) -> str:
    """The one link of `message` (same in the text and HTML parts), checked to open `page`."""
    links = set(LINK.findall(message.body))
    assert len(links) == 1, message.body
    link = links.pop()
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert link in html
    assert urlsplit(link).path.endswith(f"/{page}")
    return link


def token_in(message, page: str = "verify-email") -> str:
    return parse_qs(urlsplit(mailed_link(message, page)).query)["token"][0]


def signup(tenant, email: str = EMAIL):
    return call(tenant, "signup", {"email": email, "password": PASSWORD})


def login(tenant, email: str = EMAIL):
    return call(tenant, "login", {"email": email, "password": PASSWORD})


def stored_user(tenant, email: str = EMAIL):
    return user_model_for(tenant.client.client_id).objects.get(email=email)


def assert_token_refused(response) -> dict:
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["error"] == "invalid_request"
    assert body["fields"]["token"]
    return body


def test_signup_requiring_verification_answers_without_tokens_and_mails_a_link(verifying, mailoutbox):
    """201 with verification_required and no tokens; one mail, text and HTML, with a ?token= link to our page."""
    response = signup(verifying)

    assert response.status_code == 201
    body = response.json()
    assert body["verification_required"] is True
    assert body["email_verified"] is False
    assert not {"access_token", "refresh_token"} & set(body)
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == [EMAIL]
    assert "Verify Co" in message.subject
    link = mailed_link(message, "verify-email")
    assert link.startswith(f"{settings.AUTHSVC_PUBLIC_URL}/links/{verifying.client_id}/verify-email?token=")


def test_signup_without_verification_sends_no_mail(tenant, mailoutbox):
    """A client that does not require verification gets tokens at signup and its user no mail."""
    response = signup(tenant)

    assert response.status_code == 201
    assert "access_token" in response.json()
    assert mailoutbox == []


def test_verification_flow_unlocks_login_once(verifying, mailoutbox):
    """Login is 403 until the mailed token verifies; then 200; the same token is refused the second time."""
    user_id = signup(verifying).json()["user_id"]
    token = token_in(mailoutbox[0])

    refused = login(verifying)
    assert (refused.status_code, refused.json()["error"]) == (403, "email_not_verified")

    verified = call(verifying, "email/verify", {"token": token})
    assert verified.status_code == 200
    assert verified.json() == {"email_verified": True, "user_id": user_id}
    assert stored_user(verifying).email_verified is True

    assert login(verifying).status_code == 200
    assert_token_refused(call(verifying, "email/verify", {"token": token}))


def tampered(token: str) -> str:
    head, _, signature = token.rpartition(":")
    return f"{head}:{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"


@pytest.mark.parametrize(
    "make_token",
    [
        pytest.param(lambda tenant, user, token: "not-a-token", id="garbage"),
        pytest.param(lambda tenant, user, token: tampered(token), id="tampered-signature"),
        pytest.param(lambda tenant, user, token: token + "x", id="extended"),
        pytest.param(
            lambda tenant, user, token: email_token_make(client=tenant.client, user=user, purpose=Purpose.RESET_PASSWORD),
            id="password-reset-token",
        ),
    ],
)
def test_verify_refuses_a_token_that_is_not_a_live_verification_token(verifying, mailoutbox, make_token):
    """Garbage, tampered and wrong-purpose tokens answer 400 with fields.token and verify nothing."""
    signup(verifying)
    token = make_token(verifying, stored_user(verifying), token_in(mailoutbox[0]))

    assert_token_refused(call(verifying, "email/verify", {"token": token}))
    assert stored_user(verifying).email_verified is False


@pytest.mark.parametrize(("age", "status"), [(24 * 3600 - 60, 200), (24 * 3600 + 1, 400)])
def test_verification_token_lives_24_hours(verifying, mailoutbox, clock, age, status):
    """A token works until 24 h after it was mailed, and is refused as expired after that."""
    signup(verifying)
    token = token_in(mailoutbox[0])

    clock.offset = age
    response = call(verifying, "email/verify", {"token": token})

    assert response.status_code == status
    if status == 400:
        assert "expired" in assert_token_refused(response)["fields"]["token"][0]


def twin_at(tenant, user):
    """A user of `tenant` identical to `user` (same id, email, hash): only the client tells them apart."""
    fields = {name: getattr(user, name) for name in ("user_id", "email", "password_hash", "email_verified")}
    return user_model_for(tenant.client.client_id).objects.create(**fields)


def test_token_of_one_client_is_refused_by_another(verifying, other_verifying, mailoutbox):
    """A's token verifies nobody at B, even B's exact twin of the user, and still works at A."""
    signup(verifying)
    twin_at(other_verifying, stored_user(verifying))
    token_of_a = token_in(mailoutbox[0])

    assert_token_refused(call(other_verifying, "email/verify", {"token": token_of_a}))
    assert stored_user(other_verifying).email_verified is False
    assert call(verifying, "email/verify", {"token": token_of_a}).status_code == 200


def test_of_two_interleaved_uses_of_one_token_exactly_one_verifies(verifying, mailoutbox, monkeypatch):
    """A second use landing between the first one's token check and its write makes the first one refused."""
    signup(verifying)
    token = token_in(mailoutbox[0])
    outcomes, interleaved = [], []

    def check_then_let_another_use_win(**kwargs):
        user = email_token_user(**kwargs)
        if not interleaved:
            interleaved.append(True)  # before the call: the inner use passes through here too
            outcomes.append(call(verifying, "email/verify", {"token": token}).status_code)
        return user

    monkeypatch.setattr(email_verification, "email_token_user", check_then_let_another_use_win)
    outcomes.append(call(verifying, "email/verify", {"token": token}).status_code)

    assert outcomes == [200, 400]


def test_verify_refuses_the_token_of_a_deactivated_user(verifying, mailoutbox):
    """Deactivating a user kills the verification links already mailed to them."""
    signup(verifying)
    token = token_in(mailoutbox[0])
    user_model_for(verifying.client.client_id).objects.filter(email=EMAIL).update(is_active=False)

    assert_token_refused(call(verifying, "email/verify", {"token": token}))


@pytest.mark.parametrize("body", [{}, {"token": "x" * 9000}], ids=["missing", "oversized"])
def test_verify_rejects_malformed_bodies(verifying, body):
    """A missing or oversized token is 400 on fields.token."""
    response = call(verifying, "email/verify", body)

    assert response.status_code == 400
    assert "token" in response.json()["fields"]


# --- resend --------------------------------------------------------------------------


def verified_user(tenant, mailoutbox, email: str) -> None:
    signup(tenant, email)
    assert call(tenant, "email/verify", {"token": token_in(mailoutbox[-1])}).status_code == 200


def deactivated_user(tenant, mailoutbox, email: str) -> None:
    signup(tenant, email)
    user_model_for(tenant.client.client_id).objects.filter(email=email).update(is_active=False)


RESEND_CASES = [
    pytest.param(lambda tenant, outbox, email: signup(tenant, email), "  Ada@Example.COM ", 1, id="unverified-user"),
    pytest.param(lambda tenant, outbox, email: None, EMAIL, 0, id="unknown-email"),
    pytest.param(verified_user, EMAIL, 0, id="already-verified"),
    pytest.param(deactivated_user, EMAIL, 0, id="deactivated-user"),
]


@pytest.mark.parametrize(("arrange", "asked_email", "mails"), RESEND_CASES)
def test_resend_answers_202_with_one_body_and_mails_only_unverified_users(verifying, mailoutbox, arrange, asked_email, mails):
    """Same status and body whatever the email; only an active unverified user gets a (working) link."""
    arrange(verifying, mailoutbox, EMAIL)
    mailoutbox.clear()

    response = call(verifying, "email/resend", {"email": asked_email})

    assert response.status_code == 202
    assert response.json() == {
        "detail": "If this email belongs to an unverified account, a verification link is on its way."
    }
    assert len(mailoutbox) == mails
    if mails:
        assert call(verifying, "email/verify", {"token": token_in(mailoutbox[0])}).status_code == 200


def test_resend_rejects_an_invalid_email(verifying):
    """A malformed email is a 400 on fields.email (format only, nothing about existence)."""
    response = call(verifying, "email/resend", {"email": "not an email"})

    assert response.status_code == 400
    assert "email" in response.json()["fields"]


class BrokenMailBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise ConnectionRefusedError("smtp is down")


def test_a_mail_server_failure_changes_no_answer(verifying, settings):
    """With the mail server down, signup is still 201 and resend still the same 202."""
    settings.EMAIL_BACKEND = f"{__name__}.BrokenMailBackend"

    assert signup(verifying).status_code == 201
    response = call(verifying, "email/resend", {"email": EMAIL})

    assert response.status_code == 202
    assert response.json() == call(verifying, "email/resend", {"email": "nobody@example.com"}).json()


# --- announcements -------------------------------------------------------------------


def test_each_attempt_is_published_once_and_never_with_the_token(verifying, mailoutbox, published, caplog):
    """Signup, resend, verify and a refused verify each publish one event; no token in events or logs."""
    caplog.set_level(logging.DEBUG)
    signup(verifying)
    call(verifying, "email/resend", {"email": EMAIL})
    tokens = [token_in(message) for message in mailoutbox]
    call(verifying, "email/verify", {"token": tokens[1]})
    call(verifying, "email/verify", {"token": tokens[1]})

    assert [event.name for event in published] == ["user.signed_up", "email.verification_requested", "email.verified", "email.verify_failed"]
    assert (published[0].verification_required, published[0].verification_queued) == (True, True)
    assert published[1].mail_queued is True
    failure = published[3]
    assert (failure.reason, failure.problem) == ("invalid_token", "used_or_stale")
    for token in tokens:
        assert token not in repr(published)
        assert token not in caplog.text


# --- the page the link opens -----------------------------------------------------------


@pytest.fixture
def browser():
    """A browser that, unlike the test default, enforces CSRF as a real one meets it."""
    return BrowserClient(enforce_csrf_checks=True)


def page_path(tenant, page: str = "verify-email") -> str:
    return f"/links/{tenant.client_id}/{page}"


def test_link_page_shows_a_button_then_verifies_on_post(verifying, mailoutbox, browser):
    """GET shows a CSRF-protected form and changes nothing; its POST verifies and says so."""
    signup(verifying)
    link = mailed_link(mailoutbox[0], "verify-email")

    page = browser.get(urlsplit(link).path + "?" + urlsplit(link).query, follow=True)
    assert page.redirect_chain == [(page_path(verifying), 302)]
    assert page.status_code == 200
    assert page["Referrer-Policy"] == "same-origin"
    assert "no-store" in page["Cache-Control"]
    assert b"csrfmiddlewaretoken" in page.content
    assert stored_user(verifying).email_verified is False

    assert token_in(mailoutbox[0]).encode() not in page.content
    done = browser.post(page_path(verifying), {"csrfmiddlewaretoken": page.context["csrf_token"]})
    assert done.status_code == 200
    assert b"verified" in done.content
    assert stored_user(verifying).email_verified is True


def test_link_page_post_without_csrf_token_is_refused(verifying, mailoutbox, browser):
    """A cross-site POST (no CSRF token) verifies nothing."""
    signup(verifying)

    response = browser.post(page_path(verifying), {"token": token_in(mailoutbox[0])})

    assert response.status_code == 403
    assert stored_user(verifying).email_verified is False


@pytest.mark.parametrize(("method", "token"), [("get", ""), ("get", "garbage"), ("post", "garbage")])
def test_link_page_with_a_bad_token_shows_an_error_page(verifying, method, token):
    """A missing or bad token gets a 400 page that says the link does not work."""
    response = getattr(BrowserClient(), method)(page_path(verifying), {"token": token}, follow=True)

    assert response.status_code == 400
    assert b"This link does not work" in response.content


def test_link_page_refuses_a_used_token(verifying, mailoutbox):
    """Once verified, opening or posting the same link shows the error page."""
    signup(verifying)
    token = token_in(mailoutbox[0])
    assert call(verifying, "email/verify", {"token": token}).status_code == 200

    browser = BrowserClient()
    assert browser.get(page_path(verifying), {"token": token}, follow=True).status_code == 400
    assert browser.post(page_path(verifying)).status_code == 400


def test_link_page_of_an_unknown_or_disabled_client_is_404(verifying):
    """No page for a client that does not exist or is disabled."""
    unknown = BrowserClient().get("/links/00000000-0000-0000-0000-000000000000/verify-email", {"token": "x"})
    verifying.client.is_active = False
    verifying.client.save(update_fields=["is_active"])
    disabled = BrowserClient().get(page_path(verifying), {"token": "x"})

    assert (unknown.status_code, disabled.status_code) == (404, 404)
