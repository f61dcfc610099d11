"""Mail in the client's name, set through PATCH /api/v1/{client_id}/ and sent by the real worker to a real
SMTP server on loopback: its sender name on our address, its Reply-To, links to its own pages with the
token added to their query (and the token works), its own subject and text, escaped in the HTML part."""

import re
from email import message_from_bytes, policy
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings

from tenants.models import Client
from tests.accounts.conftest import PASSWORD, call
from tests.clients.conftest import patch_settings
from tests.conftest import make_tenant, smtp_url_of

pytestmark = pytest.mark.django_db(transaction=True)

EMAIL = "ada@example.com"
OUR_ADDRESS = "no-reply@localhost"  # of the test settings' DEFAULT_FROM_EMAIL
VERIFY_PAGE = "https://app.acme.example/account/verify?lang=en&ref=mail%20link"
RESET_PAGE = "https://app.acme.example/reset"
BRANDING = {
    "verify_email_url": VERIFY_PAGE,
    "reset_password_url": RESET_PAGE,
    "mail_sender_name": "Acme Support",
    "mail_reply_to": "help@acme.example",
    "mail_templates": {
        "verify_email": {
            "subject": "Welcome to {client_name}, {email}",
            "text": "Hello {email},\n\nplease confirm: {link}\nIt expires in {expires_in}.\n\n<script>alert(1)</script> & Co",
        },
        "reset_password": {"subject": "Your {client_name} password"},
    },
}


def parts(message) -> tuple[str, str]:
    """The text and HTML parts, with the wire's CRLF line ends read as LF."""
    return tuple(message.get_body((kind,)).get_content().replace("\r\n", "\n") for kind in ("plain", "html"))


def link_to(page: str, text: str) -> str:
    [link] = set(re.findall(re.escape(page) + r"[^\s\"<>]*", text))
    return link


def token_of(link: str) -> str:
    return parse_qs(urlsplit(link).query)["token"][0]


@pytest.fixture
def branded(transactional_db):
    """A client requiring verification whose mail settings were set over the API."""
    tenant = make_tenant("Acme", require_email_verification=True)
    response = patch_settings(tenant, BRANDING)
    assert response.status_code == 200, response.content
    return tenant


def test_the_verification_mail_speaks_in_the_clients_name_and_links_to_its_page(branded, smtp_server):
    """From is the sender name on our address, Reply-To is the client's, the subject and text are its own,
    the link is its page with its query kept and the token added, and that token verifies over the API."""
    assert call(branded, "signup", {"email": EMAIL, "password": PASSWORD}).status_code == 201
    [message] = smtp_server.messages

    assert (message["From"].addresses[0].display_name, message["From"].addresses[0].addr_spec) == ("Acme Support", OUR_ADDRESS)
    assert str(message["Reply-To"]) == "help@acme.example"
    assert message["Subject"] == f"Welcome to Acme, {EMAIL}"
    text, html = parts(message)
    link = link_to(VERIFY_PAGE, text)
    assert link.startswith(VERIFY_PAGE + "&token=")
    assert parse_qs(urlsplit(link).query)["ref"] == ["mail link"]
    assert text.startswith(f"Hello {EMAIL},\n\nplease confirm: {link}\nIt expires in 24 hours.\n\n<script>alert(1)</script> & Co")
    assert settings.AUTHSVC_PUBLIC_URL not in text

    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in html
    assert f'<a href="{link.replace("&", "&amp;")}">' in html
    assert call(branded, "email/verify", {"token": token_of(link)}).json()["email_verified"] is True


@pytest.mark.store_independent
def test_the_reset_mail_links_to_the_clients_page_and_keeps_our_text(branded, smtp_server):
    """Only the subject is overridden: our text, with the client's page as the link, whose token resets."""
    call(branded, "signup", {"email": EMAIL, "password": PASSWORD})
    smtp_server.messages.clear()
    assert call(branded, "password/forgot", {"email": EMAIL}).status_code == 202
    [message] = smtp_server.messages

    assert message["Subject"] == "Your Acme password"
    assert message["From"].addresses[0].display_name == "Acme Support"
    text, html = parts(message)
    link = link_to(RESET_PAGE, text)
    assert link.startswith(RESET_PAGE + "?token=")
    assert "the link leads to the app's own page on app.acme.example" in " ".join(text.split())
    assert "the link leads to the app's own page on app.acme.example" in " ".join(html.split())
    reset = call(branded, "password/reset", {"token": token_of(link), "new_password": "Another-horse-battery-7"})
    assert reset.status_code == 200, reset.content


@pytest.mark.store_independent
def test_the_email_change_mails_carry_the_sender_name_and_reply_to(branded, smtp_server):
    """The confirmation to the new address (through the client's verification page) and the notice to the old one."""
    user_id = call(branded, "signup", {"email": EMAIL, "password": PASSWORD}).json()["user_id"]
    [verification] = smtp_server.messages
    call(branded, "email/verify", {"token": token_of(link_to(VERIFY_PAGE, parts(verification)[0]))})
    smtp_server.messages.clear()

    assert call(branded, f"users/{user_id}", {"email": "ada@new.example"}, method="PATCH").status_code == 200
    [confirmation] = smtp_server.messages
    assert confirmation["Subject"] == 'Confirm your new email address for "Acme"'
    link = link_to(VERIFY_PAGE, parts(confirmation)[0])
    smtp_server.messages.clear()
    assert call(branded, "email/verify", {"token": token_of(link)}).status_code == 200
    [notice] = smtp_server.messages

    for message in (confirmation, notice):
        assert message["From"].addresses[0].display_name == "Acme Support"
        assert str(message["Reply-To"]) == "help@acme.example"


NAMES = {
    "non-ascii": "Café Ünïcode Ltd",
    "quotes-and-comma": 'Acme "Best" Shop, Ltd',
    "semicolon-and-parentheses": "Acme (EU); Support",
}


@pytest.mark.store_independent
@pytest.mark.parametrize("name", NAMES.values(), ids=NAMES.keys())
def test_a_sender_name_is_encoded_so_it_stays_one_display_name(transactional_db, smtp_server, name):
    """Quoted, or encoded per RFC 2047 when not ASCII, on the wire; read back, one mailbox: the name, our address."""
    tenant = make_tenant("Acme", require_email_verification=True)
    assert patch_settings(tenant, {"mail_sender_name": name}).status_code == 200
    call(tenant, "signup", {"email": EMAIL, "password": PASSWORD})
    [message] = smtp_server.messages

    [mailbox] = message["From"].addresses
    assert (mailbox.display_name, mailbox.addr_spec) == (name, OUR_ADDRESS)
    raw = message_from_bytes(message.as_bytes(policy=policy.SMTP), policy=policy.compat32)["From"]
    assert raw.isascii() and "\n" not in raw.replace("\r\n ", " ")
    if not name.isascii():
        assert "=?utf-8?" in raw.lower()


@pytest.mark.store_independent
def test_a_client_name_with_markup_is_escaped_in_the_clients_text(transactional_db, smtp_server):
    """{client_name} of a name stored before the rules (`<script>`) is text in the HTML part, never markup."""
    tenant = make_tenant("Acme", require_email_verification=True)
    assert patch_settings(tenant, {"mail_templates": {"verify_email": {"text": "{client_name} says: {link}"}}}).status_code == 200
    Client.objects.filter(pk=tenant.client.pk).update(client_name="<script>alert('x')</script>")
    call(tenant, "signup", {"email": EMAIL, "password": PASSWORD})
    [message] = smtp_server.messages

    _, html = parts(message)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; says:" in html


@pytest.mark.store_independent
def test_a_page_that_no_longer_passes_falls_back_to_ours(transactional_db, smtp_server, settings):
    """An http page saved while DEBUG was on is not used once it is off: the mail links to our page."""
    settings.DEBUG = True
    tenant = make_tenant("Acme", require_email_verification=True)
    assert patch_settings(tenant, {"verify_email_url": "http://localhost:3000/verify"}).status_code == 200
    settings.DEBUG = False
    call(tenant, "signup", {"email": EMAIL, "password": PASSWORD})
    [message] = smtp_server.messages

    text, _ = parts(message)
    assert "localhost:3000" not in text
    assert f"{settings.AUTHSVC_PUBLIC_URL}/links/{tenant.client_id}/verify-email?token=" in text


@pytest.mark.store_independent
def test_branded_mail_leaves_through_the_clients_own_server(branded, client_smtp_server, smtp_server):
    """smtp_url set over the same API: the branded mail arrives at the client's server, none at ours."""
    assert patch_settings(branded, {"smtp_url": smtp_url_of(client_smtp_server)}).status_code == 200
    call(branded, "signup", {"email": EMAIL, "password": PASSWORD})

    [message] = client_smtp_server.messages
    assert (message["From"].addresses[0].display_name, str(message["Reply-To"])) == ("Acme Support", "help@acme.example")
    assert link_to(VERIFY_PAGE, parts(message)[0]).startswith(VERIFY_PAGE + "&token=")
    assert smtp_server.received == []
