"""Mail in the client's name through its own SMTP server: two real servers on loopback, ours
(`smtp_server`) and the client's (`client_smtp_server`, which wants a login); every mail path of a
client with a server leaves through it, others' through ours, and the mail quota holds on both."""

import pytest

from delivery.models import Delivery, Status
from tenants.models import Client
from tenants.services import client_smtp_set
from tests.accounts.conftest import PASSWORD, call
from tests.conftest import CLIENT_SMTP_CREDENTIALS, SmtpServer, make_tenant, smtp_url_of
from tests.mail import deliver_queued_mail
from tests.ratelimits.test_limits import assert_rate_limited
from tests.stores import free_port

pytestmark = pytest.mark.django_db(transaction=True)


def subjects(server: SmtpServer) -> list[str]:
    return sorted(str(message["Subject"]).split(" for ")[0].split(" of ")[0] for message in server.messages)


def sign_up(tenant, email: str) -> str:
    response = call(tenant, "signup", {"email": email, "password": PASSWORD})
    assert response.status_code == 201, response.content
    return response.json()["user_id"]


def every_mail_path(tenant) -> None:
    """Verification (sign-up), reset (forgot), an email change's link (pending) and its notice (applied),
    each sent before the next call (a later change would make the earlier mails unwanted)."""
    user_id = sign_up(tenant, "ada@example.com")
    deliver_queued_mail()
    assert call(tenant, "password/forgot", {"email": "ada@example.com"}).status_code == 202
    deliver_queued_mail()
    assert call(tenant, f"users/{user_id}", {"email": "ada.new@example.com"}, method="PATCH").status_code == 200
    deliver_queued_mail()
    vouched = {"email": "ada2@example.com", "email_verified": True}
    assert call(tenant, f"users/{user_id}", vouched, method="PATCH").status_code == 200


EVERY_KIND = [
    "Confirm your new email address",
    "Reset your password",
    "The email address",
    "Verify your email address",
]


def test_every_mail_of_a_client_with_a_server_leaves_through_it_with_its_login(smtp_server, client_smtp_server):
    """Client A's four kinds of mail arrive at A's server, logged in as A; client B's at ours; A's removed server sends A's through ours again."""
    a = make_tenant("Acme", require_email_verification=True)
    b = make_tenant("Globex", require_email_verification=True)
    client_smtp_set(client=a.client, smtp_url=smtp_url_of(client_smtp_server))

    every_mail_path(a)
    sign_up(b, "bob@example.com")

    assert subjects(client_smtp_server) == EVERY_KIND
    assert [message["To"] for message in smtp_server.messages] == ["bob@example.com"]
    assert client_smtp_server.logins == [CLIENT_SMTP_CREDENTIALS[0]] * 4

    client_smtp_set(client=Client.objects.get(pk=a.client.pk), smtp_url=None)
    assert call(a, "password/forgot", {"email": "ada2@example.com"}).status_code == 202
    assert subjects(smtp_server) == ["Reset your password", "Verify your email address"]
    assert len(client_smtp_server.received) == 4


@pytest.mark.store_independent  # Redis counters and an SMTP connection: no store changes them
def test_the_mail_quota_holds_on_the_clients_own_server(smtp_server, client_smtp_server):
    """mail_client counts calls whichever server mails: over it, 429 and nothing more reaches the client's server."""
    tenant = make_tenant("Acme", require_email_verification=True)
    client_smtp_set(client=tenant.client, smtp_url=smtp_url_of(client_smtp_server))
    Client.objects.filter(pk=tenant.client.pk).update(rate_limits={"mail_client": "2/h"})
    sign_up(tenant, "ada@example.com")
    assert call(tenant, "password/forgot", {"email": "ada@example.com"}).status_code == 202

    assert_rate_limited(call(tenant, "password/forgot", {"email": "ada@example.com"}))
    assert_rate_limited(call(tenant, "email/resend", {"email": "ada@example.com"}))

    assert len(client_smtp_server.messages) == 2
    assert smtp_server.messages == []


@pytest.mark.store_independent  # the connection's settings: no store changes them
def test_our_relays_login_and_certificate_never_reach_a_clients_server(settings, smtp_server, sealing_key):
    """A client's server without AUTH gets its mail although ours has a user and password: we never try ours on it."""
    settings.AUTHSVC_SMTP_ALLOW_PRIVATE = True
    settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = "our-relay-user", "our-relay-password"
    theirs = SmtpServer(free_port())
    theirs.start()
    try:
        tenant = make_tenant("Acme", require_email_verification=True)
        client_smtp_set(client=tenant.client, smtp_url=smtp_url_of(theirs))
        sign_up(tenant, "ada@example.com")

        assert [message["To"] for message in theirs.messages] == ["ada@example.com"]
    finally:
        theirs.stop()


@pytest.mark.store_independent  # which server is tried, not how the row is kept (tests/accounts/test_outbox.py)
@pytest.mark.parametrize(
    ("breakage", "last_error"),
    [("wrong-password", "SMTPAuthenticationError"), ("sealed-under-a-dropped-key", "SealedSecretUnreadable")],
)
def test_a_client_server_that_fails_holds_its_mail_and_never_falls_back_to_ours(smtp_server, client_smtp_server, breakage, last_error):
    """A refused login or an unreadable setting fails the attempt (retried later); the mail never leaves from our domain instead."""
    tenant = make_tenant("Acme", require_email_verification=True)
    if breakage == "wrong-password":
        client_smtp_set(client=tenant.client, smtp_url=smtp_url_of(client_smtp_server).replace("%3Aw%40rd", "-wrong"))
    else:
        Client.objects.filter(pk=tenant.client.pk).update(smtp_url_sealed="gAAAAAB-sealed-under-a-dropped-key")

    sign_up(tenant, "ada@example.com")
    deliver_queued_mail()

    mail = Delivery.objects.get(kind="mail")
    assert (mail.status, mail.attempts, mail.last_error) == (Status.PENDING, 1, last_error)
    assert smtp_server.received == [] and client_smtp_server.received == []
