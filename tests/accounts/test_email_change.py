"""Email change through `PATCH users/<user_id>` with `email` (docs/api.md §3): pending behind a link
mailed to the new address when the client requires verification, at once otherwise; the old address
is notified either way."""

from urllib.parse import urlsplit

import pytest
from django.test import Client as BrowserClient

from tests.accounts.conftest import PASSWORD, call, sign_up
from tests.accounts.test_email_verification import mailed_link, token_in
from tests.audit.conftest import only_record_written_by
from tests.conftest import make_tenant

pytestmark = pytest.mark.django_db(transaction=True)

OLD, NEW = "ada@example.com", "ada.lovelace@example.org"


@pytest.fixture
def verifying(transactional_db):
    return make_tenant("Verify Co", require_email_verification=True)


@pytest.fixture
def verified_user_id(verifying, mailoutbox):
    """A verified user of the client requiring verification; the outbox emptied."""
    user_id = call(verifying, "signup", {"email": OLD, "password": PASSWORD}).json()["user_id"]
    assert call(verifying, "email/verify", {"token": token_in(mailoutbox[0])}).status_code == 200
    mailoutbox.clear()
    return user_id


def patch_email(tenant, user_id, email, **body):
    return call(tenant, f"users/{user_id}", {"email": email, **body}, method="PATCH")


def stored(tenant, user_id) -> dict:
    return call(tenant, f"users/{user_id}", method="GET").json()


def login_status(tenant, email) -> int:
    return call(tenant, "login", {"email": email, "password": PASSWORD}).status_code


def test_a_required_verification_keeps_the_change_pending_until_the_new_address_confirms(verifying, verified_user_id, mailoutbox):
    """200 pending, a link to the new address only; its token switches the address, verified; the old one is notified."""
    response, record = only_record_written_by(lambda: patch_email(verifying, verified_user_id, NEW))

    assert response.status_code == 200
    assert (response.json()["email"], response.json()["email_change_pending"]) == (OLD, True)
    assert (record.action, record.metadata["fields"], record.metadata["email_change"]) == ("user_update", ["email"], "pending")
    assert NEW not in str(record.metadata)
    assert [message.to for message in mailoutbox] == [[NEW]]
    assert login_status(verifying, OLD) == 200

    token = token_in(mailoutbox[0])
    confirmed, record = only_record_written_by(lambda: call(verifying, "email/verify", {"token": token}))

    assert confirmed.json() == {"email_verified": True, "user_id": verified_user_id}
    assert (record.action, record.status) == ("email_change", "success")
    assert (stored(verifying, verified_user_id)["email"], stored(verifying, verified_user_id)["email_verified"]) == (NEW, True)
    assert [message.to for message in mailoutbox[1:]] == [[OLD]]
    assert "was changed" in mailoutbox[1].subject
    assert [login_status(verifying, OLD), login_status(verifying, NEW)] == [401, 200]
    assert call(verifying, "email/verify", {"token": token}).status_code == 400  # used once


def test_without_required_verification_the_change_applies_at_once_and_keeps_sessions(tenant, mailoutbox):
    """200 with the new address (unverified), no link, a notice to the old address; tokens keep working."""
    user = sign_up(tenant, OLD)

    response, record = only_record_written_by(lambda: patch_email(tenant, user.user_id, NEW.upper()))

    assert response.status_code == 200
    assert (response.json()["email"], response.json()["email_verified"]) == (NEW, False)
    assert "email_change_pending" not in response.json()
    assert record.metadata["email_change"] == "applied"
    assert [message.to for message in mailoutbox] == [[OLD]]
    assert call(tenant, "token/refresh", {"refresh_token": user.refresh_token}).status_code == 200
    assert [login_status(tenant, OLD), login_status(tenant, NEW)] == [401, 200]


def test_vouching_with_email_verified_applies_the_change_at_once_verified(verifying, verified_user_id, mailoutbox):
    """`email_verified: true` with the new address: no link, the address switches verified, the old one is notified."""
    response = patch_email(verifying, verified_user_id, NEW, email_verified=True)

    assert (response.status_code, response.json()["email"], response.json()["email_verified"]) == (200, NEW, True)
    assert [message.to for message in mailoutbox] == [[OLD]]


def test_an_address_another_user_has_is_409_and_changes_nothing(tenant, mailoutbox):
    """409 email_taken, one failed user_update record, no mail, the address unchanged."""
    user = sign_up(tenant, OLD)
    sign_up(tenant, NEW)

    response, record = only_record_written_by(lambda: patch_email(tenant, user.user_id, NEW))

    assert (response.status_code, response.json()["error"]) == (409, "email_taken")
    assert (record.action, record.status, record.reason) == ("user_update", "failed", "email_taken")
    assert mailoutbox == []
    assert stored(tenant, user.user_id)["email"] == OLD


def test_an_address_taken_while_pending_is_409_when_confirmed(verifying, verified_user_id, mailoutbox):
    """Uniqueness is checked again when the link is used: someone signed up with it meanwhile."""
    patch_email(verifying, verified_user_id, NEW)
    token = token_in(mailoutbox[0])
    call(verifying, "signup", {"email": NEW, "password": PASSWORD})

    response = call(verifying, "email/verify", {"token": token})

    assert (response.status_code, response.json()["error"]) == (409, "email_taken")
    assert stored(verifying, verified_user_id)["email"] == OLD


def test_a_pending_link_dies_when_the_address_changes_otherwise(verifying, verified_user_id, mailoutbox):
    """A later change made at once voids the earlier link: its token no longer matches the user."""
    patch_email(verifying, verified_user_id, NEW)
    token = token_in(mailoutbox[0])
    assert patch_email(verifying, verified_user_id, "grace@example.com", email_verified=True).status_code == 200

    assert call(verifying, "email/verify", {"token": token}).status_code == 400
    assert stored(verifying, verified_user_id)["email"] == "grace@example.com"


def test_the_mailed_link_page_switches_the_address(verifying, verified_user_id, mailoutbox):
    """The link opens our verification page; its button makes the change."""
    patch_email(verifying, verified_user_id, NEW)
    link = mailed_link(mailoutbox[0], "verify-email")
    browser = BrowserClient(enforce_csrf_checks=True)

    page = browser.get(f"{urlsplit(link).path}?{urlsplit(link).query}", follow=True)
    assert page.status_code == 200
    done = browser.post(page.request["PATH_INFO"], {"csrfmiddlewaretoken": page.context["csrf_token"]})

    assert done.status_code == 200
    assert stored(verifying, verified_user_id)["email"] == NEW


@pytest.mark.parametrize("email", ["not-an-email", "", 42, "x@localhost"])
def test_an_invalid_address_is_400_naming_email(tenant, email):
    """The new address is validated like a sign-up's."""
    user = sign_up(tenant, OLD)
    response = patch_email(tenant, user.user_id, email)
    assert (response.status_code, list(response.json()["fields"])) == (400, ["email"])


def test_email_changes_count_in_the_clients_mail_quota(tenant, mailoutbox):
    """A call with `email` may mail: over the client's `mail_client` limit it is 429 and nothing changes."""
    user = sign_up(tenant, OLD)
    tenant.client.rate_limits = {"mail_client": "1/h"}
    tenant.client.save(update_fields=["rate_limits"])
    assert patch_email(tenant, user.user_id, NEW).status_code == 200

    response = patch_email(tenant, user.user_id, "grace@example.com")

    assert response.status_code == 429
    assert stored(tenant, user.user_id)["email"] == NEW
    assert [message.to for message in mailoutbox] == [[OLD]]
