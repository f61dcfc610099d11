"""An end user finishes what a mail asks, in a real browser: the mail comes through a real SMTP
server from a real mail worker, the browser opens its link, the person presses the button and sees
the result, and the API then lets them in. Both in the development shape (Django's live server,
DEBUG on, the worker in the test's process) and the production shape (README's gunicorn command,
DEBUG off, `manage.py mail_worker`).

Django's test client sends no Origin and applies no referrer policy: once, every test passed while
each real browser got "403 CSRF verification failed" on these forms (the pages said `no-referrer`,
so Chromium posted `Origin: null`).
"""

import http.client
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from django.core import signing

from accounts.email_tokens import EMAIL_TOKEN_MAX_AGE
from tests.conftest import SmtpServer
from tests.e2e.browser import WAIT_SECONDS, Journey
from tests.e2e.conftest import missing_browser
from tests.mail import deliver_queued_mail
from tests.production import production_server_running
from tests.stores import free_port

pytestmark = [
    pytest.mark.skipif(missing_browser() is not None, reason=f"browser tests skipped: {missing_browser()}"),
    pytest.mark.django_db(transaction=True),
]

EMAIL = "ada@example.com"
PASSWORD = "Correct-horse-battery-staple-9"
NEW_PASSWORD = "Another-horse-battery-staple-7"
LINK = re.compile(r"https?://[^\s\"<>]+/links/[0-9a-f-]{36}/[a-z-]+\?token=[^\s\"<>]+")


@dataclass(frozen=True)
class Service:
    """The service as a client's backend and an end user's browser reach it, and its mail."""

    url: str
    smtp: SmtpServer
    run_mail_worker: Callable[[], None]

    def call(self, path: str, body: dict | None = None, key: str | None = None) -> tuple[int, dict]:
        """One API call from the client's backend; any status is returned, not raised."""
        address = urlsplit(self.url)
        connection = http.client.HTTPConnection(address.hostname, address.port, timeout=WAIT_SECONDS)
        headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {key}"} if key else {})}
        connection.request("POST" if body is not None else "GET", path, body=json.dumps(body) if body is not None else None, headers=headers)
        response = connection.getresponse()
        payload = response.read()
        connection.close()
        return response.status, json.loads(payload) if payload else {}

    def mailed_link(self, subject: str) -> str:
        """The link of the mail to EMAIL about `subject`, once a worker has sent it over SMTP."""
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            self.run_mail_worker()
            for message in self.smtp.received:
                if message["To"] == EMAIL and subject in message["Subject"]:
                    return link_in(message, self.url)
        raise AssertionError(f"no mail about {subject!r} within {WAIT_SECONDS} s: {[m['Subject'] for m in self.smtp.received]}")


def link_in(message: EmailMessage, service_url: str) -> str:
    """The one link of the mail's text part, which points at this service."""
    links = LINK.findall(message.get_body(("plain",)).get_content())
    assert len(links) == 1, links
    assert links[0].startswith(f"{service_url}/links/"), links[0]
    return links[0]


@dataclass(frozen=True)
class ApiClient:
    """A client registered through the API, calling it as its backend does."""

    service: Service
    client_id: str
    key: str

    def call(self, path: str, body: dict | None = None) -> tuple[int, dict]:
        return self.service.call(f"/api/v1/{self.client_id}/{path}", body, self.key)

    def login(self, password: str) -> int:
        return self.call("login", {"email": EMAIL, "password": password})[0]


def register(service: Service, *, require_email_verification: bool) -> ApiClient:
    status, client = service.call(
        "/api/v1/clients/register",
        {"client_name": "Mailed Links Co", "industry": "SaaS", "require_email_verification": require_email_verification},
    )
    assert status == 201, client
    return ApiClient(service, client["client_id"], client["access_key"])


@pytest.fixture(scope="module")
def production_service(tmp_path_factory):
    """One production-shape server (and SMTP server) for this module's tests: each registers its own client."""
    smtp = SmtpServer(free_port())
    smtp.start()
    try:
        with production_server_running(tmp_path_factory.mktemp("production"), EMAIL_URL=f"smtp://{smtp.host}:{smtp.port}") as server:
            yield Service(url=server.url, smtp=smtp, run_mail_worker=server.mail_worker_burst)
    finally:
        smtp.stop()


@pytest.fixture(params=["development", "production"])
def service(request, settings) -> Service:
    if request.param == "production":
        service = request.getfixturevalue("production_service")
        service.smtp.received.clear()
        return service
    live_server, smtp = request.getfixturevalue("live_server"), request.getfixturevalue("smtp_server")
    settings.DEBUG = True  # as `make run` serves
    settings.AUTHSVC_PUBLIC_URL = live_server.url
    return Service(url=live_server.url, smtp=smtp, run_mail_worker=deliver_queued_mail)


def press(journey: Journey, button_text: str) -> None:
    from selenium.webdriver.common.by import By

    journey.driver.find_element(By.XPATH, f"//button[normalize-space()='{button_text}']").click()


def heading(journey: Journey, text: str) -> None:
    """Wait for the page titled `text`; a refused request or a console error fails at once."""
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    def shown(driver) -> bool:
        journey.watch.assert_clean()
        return driver.find_element("css selector", "h1").text == text

    # The page being left may answer first, or vanish while it is read.
    WebDriverWait(journey.driver, WAIT_SECONDS, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException)).until(shown)


def open_link(journey: Journey, link: str) -> None:
    """Open the mailed link; the address bar then shows the page without its token."""
    journey.open(link)
    journey.wait_for_path(rf"{re.escape(urlsplit(link).path)}$")


def only_the_first_request_held_the_token(journey: Journey, link: str) -> bool:
    """Of every URL the browser requested, only the mailed link itself had the token in it."""
    token = parse_qs(urlsplit(link).query)["token"][0]
    return [url for url in journey.watch.seen if token in unquote(url)] == [link]


def test_an_end_user_verifies_their_email_from_the_mailed_link(service, browser, tmp_path):
    """Sign up → mail → open the link → press Verify → success page → the API logs them in; the link then shows it is used."""
    client = register(service, require_email_verification=True)
    status, body = client.call("signup", {"email": EMAIL, "password": PASSWORD})
    assert (status, body.get("verification_required")) == (201, True), body
    assert client.login(PASSWORD) == 403  # email_not_verified
    link = service.mailed_link("Verify your email address")
    journey = Journey(browser, service.url, tmp_path)

    open_link(journey, link)
    heading(journey, "Verify your email address")
    journey.screenshot("verify-page")
    press(journey, "Verify my email address")
    heading(journey, "Email address verified")
    assert EMAIL in journey.find("body").text
    journey.screenshot("verified")
    assert client.login(PASSWORD) == 200
    assert only_the_first_request_held_the_token(journey, link)

    journey.watch.expect(urlsplit(link).path, 400)
    journey.open(link)
    heading(journey, "This link does not work")
    assert "already been used" in journey.find(".errors").text
    journey.screenshot("used-link")


def test_an_end_user_resets_their_password_from_the_mailed_link(service, browser, tmp_path):
    """Forgot → mail → open the link → two different passwords are refused on the page → matching ones
    → success page → the new password logs in, the old one no longer does; the link then shows it is used."""
    client = register(service, require_email_verification=False)
    assert client.call("signup", {"email": EMAIL, "password": PASSWORD})[0] == 201
    assert client.call("password/forgot", {"email": EMAIL})[0] == 202
    link = service.mailed_link("Reset your password")
    journey = Journey(browser, service.url, tmp_path)
    page = urlsplit(link).path

    open_link(journey, link)
    heading(journey, "Choose a new password")
    journey.screenshot("reset-page")
    journey.find("#id_new_password").send_keys(NEW_PASSWORD)
    journey.find("#id_new_password_confirm").send_keys(NEW_PASSWORD + "x")
    journey.watch.expect(page, 400)  # the form comes back with its error
    press(journey, "Set the new password")
    assert journey.find(".errors").text == "The two passwords differ."
    journey.screenshot("passwords-differ")
    assert client.login(PASSWORD) == 200

    journey.find("#id_new_password").send_keys(NEW_PASSWORD)
    journey.find("#id_new_password_confirm").send_keys(NEW_PASSWORD)
    press(journey, "Set the new password")
    heading(journey, "Password changed")
    journey.screenshot("password-changed")
    assert client.login(NEW_PASSWORD) == 200
    assert client.login(PASSWORD) == 401
    assert only_the_first_request_held_the_token(journey, link)

    journey.open(link)
    heading(journey, "This link does not work")
    journey.screenshot("used-link")


class DayAgo:
    """django.core.signing's clock, a day and a minute back: what it signs now is past its 24 hours."""

    @staticmethod
    def time() -> float:
        return time.time() - (EMAIL_TOKEN_MAX_AGE + timedelta(minutes=1)).total_seconds()


def test_an_expired_mailed_link_shows_the_invalid_link_page(live_server, smtp_server, settings, browser, tmp_path, monkeypatch):
    """A link mailed more than a day ago: the page says it expired, and nothing is stored for it."""
    settings.AUTHSVC_PUBLIC_URL = live_server.url
    service = Service(url=live_server.url, smtp=smtp_server, run_mail_worker=deliver_queued_mail)
    client = register(service, require_email_verification=True)
    assert client.call("signup", {"email": EMAIL, "password": PASSWORD})[0] == 201
    # The worker mints the link's token when it sends: a mail sent a day and a minute ago.
    monkeypatch.setattr(signing, "time", DayAgo)
    link = service.mailed_link("Verify your email address")
    monkeypatch.undo()
    journey = Journey(browser, service.url, tmp_path)

    journey.watch.expect(urlsplit(link).path, 400)
    journey.open(link)
    heading(journey, "This link does not work")
    assert "expired" in journey.find(".errors").text
    journey.screenshot("expired-link")
    assert client.login(PASSWORD) == 403
