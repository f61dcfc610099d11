"""One address, one account: emails are stored, looked up and rate-limited in their canonical spelling."""

import pytest
from django.core.management import call_command

from accounts.validation import normalize_email
from tenants.user_models import user_model_for
from tests.accounts.conftest import PASSWORD, call, sign_up
from tests.ratelimits.test_limits import RATE, assert_rate_limited, login, set_client_rate

pytestmark = pytest.mark.django_db(transaction=True)

SPELLINGS = [
    ("u@bücher.example", "u@xn--bcher-kva.example"),
    ("U@XN--BCHER-KVA.EXAMPLE", "u@Bücher.Example"),
    ("Ada@Example.COM", " ada@example.com "),
    ("caf\u00e9@example.com", "cafe\u0301@example.com"),  # composed and decomposed é (NFC)
]


@pytest.mark.parametrize("first, second", SPELLINGS)
def test_two_spellings_of_one_address_are_one_account(tenant, first, second):
    """Signing up again under the other spelling is 409 email_taken; logging in works with either."""
    sign_up(tenant, first)
    again = call(tenant, "signup", {"email": second, "password": PASSWORD})
    assert again.status_code == 409, again.content
    assert again.json()["error"] == "email_taken"
    for spelling in (first, second):
        assert call(tenant, "login", {"email": spelling, "password": PASSWORD}).status_code == 200


def test_the_stored_email_is_the_canonical_spelling(tenant):
    """The punycode domain is stored in its Unicode form, the local part lower-cased."""
    user = sign_up(tenant, "Ü@XN--BCHER-KVA.example")
    assert user.email == "ü@bücher.example"
    assert user.row().email == "ü@bücher.example"


@pytest.mark.parametrize("first, second", SPELLINGS[:2])
def test_both_spellings_spend_one_login_bucket(tenant, first, second):
    """The per-email login limit counts the address, not its spelling."""
    set_client_rate(tenant, "login_email", f"{RATE}/h")
    assert call(tenant, "login", login(first)).status_code == 401
    assert call(tenant, "login", login(second)).status_code == 401
    assert_rate_limited(call(tenant, "login", login(first)))


@pytest.mark.parametrize("address", ["ada@example.invalid", "ada@localhost", "ada@@example.com", "ada@exa mple.com"])
def test_an_address_that_cannot_receive_mail_is_refused(tenant, address):
    """email-validator's syntax and reserved-name checks: 400 under fields.email."""
    response = call(tenant, "signup", {"email": address, "password": PASSWORD})
    assert response.status_code == 400, response.content
    assert "email" in response.json()["fields"]


def _store_raw(tenant, email: str) -> None:
    """A row written by an older release, before emails were canonicalised."""
    model = user_model_for(tenant.client.client_id)
    model.objects.create(email=email, password_hash="!", custom_fields={})


def test_normalize_emails_rewrites_old_rows_and_reports_collisions(tenant, capsys):
    """The command canonicalises old spellings, leaves a row that would collide, and says so."""
    _store_raw(tenant, "ada@xn--bcher-kva.example")
    _store_raw(tenant, "Grace@Example.com")
    _store_raw(tenant, "bob@bücher.example")
    _store_raw(tenant, "bob@xn--bcher-kva.example")
    call_command("normalize_emails", "--dry-run")
    assert "would change 2" in capsys.readouterr().out
    assert sorted(user_model_for(tenant.client.client_id).objects.values_list("email", flat=True))[0] == "Grace@Example.com"
    call_command("normalize_emails")
    output = capsys.readouterr().out
    assert "changed 2" in output and "collisions 1" in output
    assert "'bob@xn--bcher-kva.example' is the same address as the account 'bob@bücher.example'" in output
    emails = sorted(user_model_for(tenant.client.client_id).objects.values_list("email", flat=True))
    assert emails == ["ada@bücher.example", "bob@bücher.example", "bob@xn--bcher-kva.example", "grace@example.com"]


def test_normalize_email_keeps_a_search_prefix_usable():
    """Text that is no address (an admin search prefix) is only trimmed and lower-cased."""
    assert normalize_email("  Ada@Exa ") == "ada@exa"
