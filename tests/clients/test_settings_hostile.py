"""What a client sets reaches strangers' inboxes under our sender: hostile values of every setting are
refused with 400 naming the setting, at PATCH and at registration alike, and the placeholder syntax
of the mail texts evaluates nothing. Answered before anything is written: no store changes them."""

import pytest

from tenants.client_links import link_with_token
from tenants.mail_templates import fill
from tests.clients.conftest import patch_settings
from tests.conftest import make_tenant

pytestmark = [pytest.mark.django_db, pytest.mark.store_independent]

OK_TEXT = "Open {link}"


@pytest.fixture
def tenant(db):
    """A client inside the test's transaction: its users table is never made (provisioning waits for a
    commit that does not come), which these calls never reach, and nothing needs flushing after."""
    return make_tenant("Acme")


def deep(levels: int) -> dict:
    """A JSON object `levels` objects deep."""
    value: dict = {}
    for _ in range(levels):
        value = {"allOf": [value]}
    return value


def texts(*, subject: str | None = None, text: str | None = OK_TEXT, mail: str = "verify_email") -> dict:
    return {"mail_templates": {mail: {key: value for key, value in (("subject", subject), ("text", text)) if value is not None}}}


HOSTILE = {
    # the display name of From: a client name's rules, and one line
    "sender-crlf": ({"mail_sender_name": "Acme\r\nBcc: victim@example.com"}, "mail_sender_name"),
    "sender-lf": ({"mail_sender_name": "Acme\nSupport"}, "mail_sender_name"),
    "sender-line-separator": ({"mail_sender_name": "Acme\u2028Support"}, "mail_sender_name"),
    "sender-nul": ({"mail_sender_name": "Acme\x00"}, "mail_sender_name"),
    "sender-bidi-override": ({"mail_sender_name": "Acme \u202eknaB"}, "mail_sender_name"),
    "sender-address": ({"mail_sender_name": "security@bank.example"}, "mail_sender_name"),
    "sender-domain": ({"mail_sender_name": "Verify at evil.example"}, "mail_sender_name"),
    "sender-markup": ({"mail_sender_name": "<b>Acme</b>"}, "mail_sender_name"),
    "sender-oversize": ({"mail_sender_name": "A" * 101}, "mail_sender_name"),
    "sender-number": ({"mail_sender_name": 5}, "mail_sender_name"),
    # the client's link pages
    "url-javascript": ({"verify_email_url": "javascript:alert(document.cookie)"}, "verify_email_url"),
    "url-data": ({"verify_email_url": "data:text/html,<script>alert(1)</script>"}, "verify_email_url"),
    "url-vbscript": ({"reset_password_url": "vbscript:msgbox(1)"}, "reset_password_url"),
    "url-ftp": ({"reset_password_url": "ftp://app.example/reset"}, "reset_password_url"),
    "url-http-debug-off": ({"verify_email_url": "http://app.example/verify"}, "verify_email_url"),
    "url-relative": ({"verify_email_url": "//app.example/verify"}, "verify_email_url"),
    "url-userinfo": ({"verify_email_url": "https://bank.example@evil.example/verify"}, "verify_email_url"),
    "url-backslash": ({"verify_email_url": "https://evil.example\\@bank.example/"}, "verify_email_url"),
    "url-space": ({"verify_email_url": "https://app.example/ver ify"}, "verify_email_url"),
    "url-crlf": ({"reset_password_url": "https://app.example/reset\r\nX: y"}, "reset_password_url"),
    "url-control": ({"reset_password_url": "https://app.example/\x07reset"}, "reset_password_url"),
    "url-non-ascii": ({"verify_email_url": "https://аpp.example/verify"}, "verify_email_url"),
    "url-own-token": ({"verify_email_url": "https://app.example/verify?token=fixed"}, "verify_email_url"),
    "url-oversize": ({"verify_email_url": "https://app.example/" + "a" * 2000}, "verify_email_url"),
    "url-no-host": ({"verify_email_url": "https:///verify"}, "verify_email_url"),
    "url-list": ({"verify_email_url": ["https://app.example/"]}, "verify_email_url"),
    # Reply-To
    "reply-to-not-an-address": ({"mail_reply_to": "help desk"}, "mail_reply_to"),
    "reply-to-crlf": ({"mail_reply_to": "help@acme.example\r\nBcc: victim@example.com"}, "mail_reply_to"),
    "reply-to-two": ({"mail_reply_to": "a@acme.example, b@acme.example"}, "mail_reply_to"),
    "reply-to-oversize": ({"mail_reply_to": "a" * 250 + "@acme.example"}, "mail_reply_to"),
    # the mails' own subject and text
    "placeholder-unknown": (texts(text="Hi {name}, {link}"), "mail_templates"),
    "placeholder-attribute": (texts(text="{link.__class__} {link}"), "mail_templates"),
    "placeholder-globals": (texts(text="{link.__init__.__globals__} {link}"), "mail_templates"),
    "placeholder-index": (texts(text="{link[0]} {link}"), "mail_templates"),
    "placeholder-positional": (texts(text="{0} {link}"), "mail_templates"),
    "placeholder-conversion": (texts(subject="{client_name!r}"), "mail_templates"),
    "placeholder-format-spec": (texts(subject="{email:>9999999}"), "mail_templates"),
    "placeholder-django": (texts(text="{% load static %}{{ settings.SECRET_KEY }} {link}"), "mail_templates"),
    "subject-crlf": (texts(subject="Welcome\r\nBcc: victim@example.com"), "mail_templates"),
    "subject-oversize": (texts(subject="S" * 201), "mail_templates"),
    "text-oversize": (texts(text="{link} " + "t" * 5000), "mail_templates"),
    "text-without-link": (texts(text="Just hello"), "mail_templates"),
    "text-control": (texts(text="{link}\x1b[31m"), "mail_templates"),
    "text-empty": (texts(text=""), "mail_templates"),
    "unknown-mail": (texts(mail="welcome"), "mail_templates"),
    "unknown-part": ({"mail_templates": {"verify_email": {"html": "<b>{link}</b>"}}}, "mail_templates"),
    "templates-not-an-object": ({"mail_templates": "Open {link}"}, "mail_templates"),
    "templates-deep": ({"mail_templates": {"verify_email": {"text": [[[["{link}"]]]]}}}, "mail_templates"),
    # the client's own SMTP server (tenants.smtp holds it to its rules; the refusal never quotes it)
    "smtp-url-scheme": ({"smtp_url": "http://mailer:pw@mail.example"}, "smtp_url"),
    "smtp-url-loopback": ({"smtp_url": "smtp://mailer:pw@127.0.0.1:25"}, "smtp_url"),
    "smtp-url-query": ({"smtp_url": "smtp://mail.example:25?from=ceo@bank.example"}, "smtp_url"),
    # the settings every client had before
    "name-url": ({"client_name": "Acme https://evil.example"}, "client_name"),
    "name-blank": ({"client_name": "   "}, "client_name"),
    "industry-unknown": ({"industry": "Alchemy"}, "industry"),
    "flag-not-a-boolean": ({"require_email_verification": "yes"}, "require_email_verification"),
    "schema-remote-ref": ({"custom_fields_schema": {"$ref": "https://evil.example/schema.json"}}, "custom_fields_schema"),
    "schema-deep": ({"custom_fields_schema": deep(40)}, "custom_fields_schema"),
    "templates-very-deep": ({"mail_templates": deep(200)}, "mail_templates"),
}


@pytest.mark.parametrize(("body", "setting"), HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_setting_is_refused_naming_it(tenant, body, setting):
    """400 invalid_request with `fields` naming exactly the setting; the client keeps its settings."""
    before = patch_settings(tenant, {}).json()
    response = patch_settings(tenant, body)

    assert response.status_code == 400, response.content
    assert response.json()["error"] == "invalid_request"
    assert list(response.json()["fields"]) == [setting]
    assert patch_settings(tenant, {}).json() == before


UNKNOWN_PLACEHOLDERS = {
    "{name}": "{name}",
    "{link.__class__}": "{link.__class__}",
    "{0}": "{0}",
    "{email:>9999999}": "{email:>9999999}",
}


@pytest.mark.parametrize("placeholder", UNKNOWN_PLACEHOLDERS)
def test_an_unknown_placeholder_is_named_in_the_refusal(tenant, placeholder):
    """The message quotes the placeholder that is not one of ours, and lists ours."""
    response = patch_settings(tenant, texts(text=f"Hello {placeholder} {{link}}"))

    [message] = response.json()["fields"]["mail_templates"]
    assert message == (
        f"verify_email.text: unknown placeholder {UNKNOWN_PLACEHOLDERS[placeholder]}; "
        "the placeholders are {link}, {client_name}, {email}, {expires_in}."
    )


@pytest.mark.parametrize(
    ("body", "setting"),
    [({"mail_sender_name": "Acme\r\nBcc: victim@example.com"}, "mail_sender_name"), ({"verify_email_url": "javascript:alert(1)"}, "verify_email_url")],
    ids=["sender-crlf", "url-javascript"],
)
def test_registration_refuses_the_same_values(post_json, body, setting):
    """The rules are the same when a client registers with its mail settings."""
    response = post_json("/api/v1/clients/register", {"client_name": "Initech", "industry": "SaaS", **body})

    assert response.status_code == 400
    assert list(response.json()["fields"]) == [setting]


def test_an_http_page_is_accepted_while_debug_is_on(tenant, settings):
    """A developer's http://localhost page passes with DEBUG on; javascript: still does not."""
    settings.DEBUG = True
    assert patch_settings(tenant, {"verify_email_url": "http://localhost:3000/verify"}).status_code == 200
    assert patch_settings(tenant, {"verify_email_url": "javascript:alert(1)"}).status_code == 400


def test_values_are_stored_normalised(tenant):
    """A name's runs of spaces fold, an address is normalised (email-validator), a text's CRLF become LF."""
    body = {
        "mail_sender_name": "  Acme   Support ",
        "mail_reply_to": "Help@ACME.example",
        "mail_templates": {"reset_password": {"text": "Reset:\r\n{link}"}},
    }
    answer = patch_settings(tenant, body).json()

    assert (answer["mail_sender_name"], answer["mail_reply_to"]) == ("Acme Support", "Help@acme.example")
    assert answer["mail_templates"] == {"reset_password": {"text": "Reset:\n{link}"}}


@pytest.mark.parametrize(
    ("text", "filled"),
    [
        ("{link}", "https://x.example/?token=T"),
        ("{link.__class__}", "{link.__class__}"),
        ("{{link}} {link}", "{link} https://x.example/?token=T"),
        ("{client_name} {email} {expires_in}", "Acme {0} ada@example.com 24 hours"),
        ("{", "{"),
        ("}{", "}{"),
    ],
    ids=["link", "attribute-untouched", "escaped-braces", "values-not-reformatted", "lone-open", "lone-close"],
)
def test_fill_looks_names_up_and_evaluates_nothing(text, filled):
    """Values go in as they are (a value holding `{0}` is not formatted again); anything else stays as written."""
    values = {"link": "https://x.example/?token=T", "client_name": "Acme {0}", "email": "ada@example.com", "expires_in": "24 hours"}
    assert fill(text, values) == filled


@pytest.mark.parametrize(
    ("page", "link"),
    [
        ("https://app.example/verify", "https://app.example/verify?token=a%2Bb%3Ac%2F"),
        ("https://app.example/verify?lang=en&utm=a%20b", "https://app.example/verify?lang=en&utm=a%20b&token=a%2Bb%3Ac%2F"),
        ("https://app.example/verify?", "https://app.example/verify?token=a%2Bb%3Ac%2F"),
        ("https://app.example/verify?next=%2Fhome&", "https://app.example/verify?next=%2Fhome&token=a%2Bb%3Ac%2F"),
        ("https://app.example/#/verify", "https://app.example/?token=a%2Bb%3Ac%2F#/verify"),
    ],
    ids=["no-query", "query-kept-as-written", "empty-query", "trailing-ampersand", "fragment"],
)
def test_the_token_is_added_to_the_pages_own_query_encoded(page, link):
    """The page's query is kept byte for byte, the token is percent-encoded, a fragment stays last."""
    assert link_with_token(page, "a+b:c/") == link
