"""A client's name is plain text: it reaches strangers' inboxes, so it cannot carry links or markup."""

import pytest

from tenants.models import Client

pytestmark = pytest.mark.django_db(transaction=True)

REGISTER = "/api/v1/clients/register"

REFUSED = {
    "phishing sentence": "ACME Bank - verify your account at https://evil.example",
    "bare domain": "evil.example",
    "www": "www.acme",
    "domain-like product": "Node.js Labs",
    "ideographic dot": "evil\u3002example",
    "fullwidth dot": "evil\uff0eexample",
    "email address": "support@acme",
    "scheme only": "javascript:/alert",
    "markup": "<b>ACME</b>",
    "control character": "ACME\x07Bank",
    "zero-width space": "AC\u200bME",
    "bidi override": "ACME \u202eknab",
    "too long": "A" * 101,
    "blank": "   ",
    # Internationalised top-level domains, in Unicode and in punycode.
    "cyrillic tld": "BigBank Security. Verify at bigbank.\u0440\u0444/login",
    "cyrillic tld, capitals": "bigbank.\u0420\u0424",
    "chinese tld": "bigbank.\u4e2d\u56fd",
    "japanese tld after an ideographic dot": "bigbank\u3002\u307f\u3093\u306a",
    "punycode tld": "bigbank.xn--p1ai",
    # IPv4 literals: four dot-separated numbers, after NFKC folding.
    "ipv4 with a path": "BigBank: go to 203.0.113.5/verify",
    "ipv4 with a port": "BigBank 10.0.0.1:8080",
    "ipv4 of fullwidth digits and dots": "BigBank \uff12\uff10\uff13\uff0e\uff10\uff0e\uff11\uff11\uff13\uff0e\uff15",
    "ipv4 with ideographic dots": "BigBank 203\u30020\u3002113\u30025",
    "ipv4 with one-dot leaders": "BigBank 203\u20240\u2024113\u20245",
    "ipv4 out of range still looks like one": "BigBank 999.999.999.999",
    # IPv6 literals, bracketed or bare.
    "ipv6 in brackets": "Verify at [2001:db8::1]/login",
    "ipv6 bare": "BigBank 2001:db8::1",
    "ipv6 full and upper case": "BigBank 2001:DB8:0:0:8:800:200C:417A",
    "ipv6 loopback": "BigBank [::1]",
    "ipv6 with a zone": "BigBank fe80::1%eth0",
    "ipv6 mapping an ipv4": "BigBank ::ffff:c000:280",
    "ipv6 of fullwidth colons": "BigBank 2001\uff1adb8\uff1a\uff1a1",
}
ACCEPTED = {
    "plain": ("AI Platform", "AI Platform"),
    "abbreviation": ("Acme Inc.", "Acme Inc."),
    "initials": ("A. B. Smith & Sons", "A. B. Smith & Sons"),
    "version": ("R&D 2.0", "R&D 2.0"),
    "accents": ("Ümlaut Bäckerei GmbH", "Ümlaut Bäckerei GmbH"),
    "spaces collapsed": ("  Acme   Corp ", "Acme Corp"),
    "line breaks collapsed": ("ACME\nBank\u2028Ltd", "ACME Bank Ltd"),
    "longest": ("A" * 100, "A" * 100),
    # Numbers with fewer than four dotted parts are versions, not addresses.
    "version two parts": ("Acme 2.0", "Acme 2.0"),
    "version with a decimal": ("Version 10.4 Labs", "Version 10.4 Labs"),
    "version three parts": ("Studio 1.2.3", "Studio 1.2.3"),
    "fullwidth version": ("Acme \uff12\uff0e\uff10", "Acme \uff12\uff0e\uff10"),
    # Colons that make no IPv6 address.
    "colon after a word": ("BigBank: Security Team", "BigBank: Security Team"),
    "time of day": ("Open 10:30-18:00", "Open 10:30-18:00"),
    "ratio": ("24:7 Fitness", "24:7 Fitness"),
    "double colon inside a word": ("Acme::Corp", "Acme::Corp"),
    "cafe with a colon": ("Cafe: Bar", "Cafe: Bar"),
    # A dot followed by a space ends a sentence or an abbreviation, in any script.
    "cyrillic abbreviation": ("\u0411\u0430\u043d\u043a \u0438 \u0442. \u0434.", "\u0411\u0430\u043d\u043a \u0438 \u0442. \u0434."),
}


def register(post_json, name):
    return post_json(REGISTER, {"client_name": name, "industry": "SaaS"})


@pytest.mark.parametrize("name", REFUSED.values(), ids=REFUSED.keys())
def test_a_name_that_is_not_plain_text_is_refused(post_json, name):
    """400 under fields.client_name, and no client is created."""
    response = register(post_json, name)
    assert response.status_code == 400, response.content
    assert response.json()["fields"]["client_name"]
    assert not Client.objects.exists()


@pytest.mark.parametrize("name, stored", ACCEPTED.values(), ids=ACCEPTED.keys())
def test_a_plain_name_is_registered(post_json, name, stored):
    """Ordinary company names pass, with runs of spaces collapsed."""
    response = register(post_json, name)
    assert response.status_code == 201, response.content
    assert response.json()["client_name"] == stored


@pytest.mark.parametrize("name", ["Pay at evil.example", "Pay at bigbank.\u0440\u0444", "Pay at 203.0.113.5", "Pay at [2001:db8::1]"])
def test_staff_cannot_rename_a_client_to_a_link(staff_client, tenant, name):
    """The admin's change form applies the same rule."""
    response = staff_client.post(
        f"/admin/tenants/client/{tenant.client.pk}/change/",
        {"client_name": name, "industry": "SaaS", "custom_fields_schema": "null", "rate_limits": "{}"},
    )
    assert response.status_code == 200
    assert "Must not contain a web address" in response.content.decode()
    tenant.client.refresh_from_db()
    assert tenant.client.client_name == "Acme"
