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


def test_staff_cannot_rename_a_client_to_a_link(staff_client, tenant):
    """The admin's change form applies the same rule."""
    response = staff_client.post(
        f"/admin/tenants/client/{tenant.client.pk}/change/",
        {"client_name": "Pay at evil.example", "industry": "SaaS", "custom_fields_schema": "null", "rate_limits": "{}"},
    )
    assert response.status_code == 200
    assert "Must not contain a web address" in response.content.decode()
    tenant.client.refresh_from_db()
    assert tenant.client.client_name == "Acme"
