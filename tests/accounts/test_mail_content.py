"""Mails present the client's name as quoted data and link only to this service (over real SMTP)."""

import re

import pytest
from django.conf import settings

from tests.accounts.conftest import PASSWORD, call
from tests.conftest import make_tenant

pytestmark = pytest.mark.django_db(transaction=True)

URL = re.compile(r"https?://[^\s\"<>]+")


def parts(message) -> tuple[str, str]:
    return message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content()


@pytest.mark.parametrize(
    "path, body, subject",
    [
        ("signup", {"email": "ada@example.com", "password": PASSWORD}, 'Verify your email address for "ACME Bank"'),
        ("password/forgot", {"email": "ada@example.com"}, 'Reset your password for "ACME Bank"'),
    ],
    ids=["verification", "reset"],
)
def test_the_client_name_is_quoted_as_a_label(transactional_db, smtp_server, path, body, subject):
    """Subject and both parts quote the name as the app's label, and every link leads to our host."""
    tenant = make_tenant("ACME Bank", require_email_verification=True)
    if path != "signup":
        call(tenant, "signup", {"email": "ada@example.com", "password": PASSWORD})
        smtp_server.messages.clear()
    assert call(tenant, path, body).status_code in (201, 202)
    [message] = smtp_server.messages
    assert message["Subject"] == subject
    text, html = (" ".join(part.split()) for part in parts(message))
    assert 'registered with us under the name "ACME Bank"' in text
    assert 'registered with us under the name “<span class="client-name">ACME Bank</span>”' in html
    host = settings.AUTHSVC_PUBLIC_URL.split("://", 1)[1]
    for part in (text, html):
        assert f"The quoted name is the app's own label, not a message from us; our links only ever lead to {host}" in part
    for url in URL.findall(text) + URL.findall(html):
        assert url.split("://", 1)[1].startswith(host + "/"), url


def test_a_name_stored_before_the_rules_cannot_break_the_mail(transactional_db, smtp_server):
    """An old row's name with markup and a line break is escaped in HTML and kept on one line."""
    tenant = make_tenant("Old Name", require_email_verification=True)
    tenant.client.client_name = "<b>Bank</b>\nBcc: x@evil.example"
    tenant.client.save(update_fields=["client_name"])
    assert call(tenant, "signup", {"email": "ada@example.com", "password": PASSWORD}).status_code == 201
    [message] = smtp_server.messages
    assert message["Bcc"] is None
    assert "\n" not in message["Subject"]
    _, html = parts(message)
    assert "<b>Bank</b>" not in html and "&lt;b&gt;Bank&lt;/b&gt;" in html
