"""The client's page in the admin: its SMTP server set write-only (never rendered back), and "Send a
test mail" through the server the client's mails leave by, with the result as a message; audited."""

import re

import pytest

from audit.models import AuditLog
from tenants.models import Client
from tenants.services import client_smtp_set
from tests.audit.conftest import only_record_written_by
from tests.conftest import CLIENT_SMTP_CREDENTIALS, make_tenant, smtp_url_of

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.store_independent]

PASSWORD = CLIENT_SMTP_CREDENTIALS[1]


def change_url(client: Client) -> str:
    return f"/admin/tenants/client/{client.pk}/change/"


def mail_test_url(client: Client) -> str:
    return f"/admin/tenants/client/{client.pk}/test-mail/"


def save_change_form(staff_client, client: Client, **fields):
    """Post the change page as a browser would, with the settings as stored and `fields` changed."""
    client.refresh_from_db()
    page = staff_client.get(change_url(client)).content.decode()
    form = {"client_name": client.client_name, "industry": client.industry, "rate_limits": "{}", "custom_fields_schema": "null"}
    form |= dict(re.findall(r'<input type="hidden" name="(initial-[\w]+)" value="([^"]*)"', page))
    form |= {"access_keys-TOTAL_FORMS": "0", "access_keys-INITIAL_FORMS": "0", **fields}
    return staff_client.post(change_url(client), form)


def stored(client: Client) -> str:
    return Client.objects.get(pk=client.pk).smtp_url_sealed


def messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


@pytest.fixture
def acme(transactional_db) -> Client:
    return make_tenant("Acme").client


def test_the_smtp_box_is_write_only_and_the_page_says_where_mail_leaves(staff_client, acme, client_smtp_server):
    """An empty password box before and after; once set, the page names host, port and TLS, never the URL or password."""
    url = smtp_url_of(client_smtp_server)
    before = staff_client.get(change_url(acme)).content.decode()

    assert save_change_form(staff_client, acme, smtp_url=url).status_code == 302
    page = staff_client.get(change_url(acme)).content.decode()

    [box] = re.findall(r'<input type="password" name="smtp_url"[^>]*>', page)
    assert "value=" not in box
    assert "This service&#x27;s mail server" in before
    assert f"Its own SMTP server: 127.0.0.1:{client_smtp_server.port}, no TLS." in page
    for secret in (url, PASSWORD, "Sm7p-pa55"):
        assert secret not in page


def test_an_empty_box_keeps_the_server_and_the_remove_box_drops_it(staff_client, acme, client_smtp_server):
    """Saving other settings leaves the sealed value as it was; "Remove the SMTP server" empties it; both at once is refused."""
    client_smtp_set(client=acme, smtp_url=smtp_url_of(client_smtp_server))
    sealed = stored(acme)

    assert save_change_form(staff_client, acme, client_name="Acme Inc").status_code == 302
    assert stored(acme) == sealed
    refused = save_change_form(staff_client, acme, smtp_url="smtp://198.51.100.9", smtp_url_clear="on")
    assert refused.status_code == 200 and "not both" in refused.content.decode()
    assert stored(acme) == sealed

    response, record = only_record_written_by(lambda: save_change_form(staff_client, acme, smtp_url_clear="on"))
    assert response.status_code == 302 and stored(acme) == ""
    assert (record.action, record.metadata["fields"]) == ("client_update", ["smtp_url"])


def test_a_refused_url_shows_why_and_is_not_rendered_back(staff_client, acme, settings, sealing_key):
    """A loopback server with the operator's switch off: the form says why, the typed URL is not in the page, nothing is stored."""
    settings.AUTHSVC_SMTP_ALLOW_PRIVATE = False
    typed = "smtp://mailer:Typed-pa55@127.0.0.1:25"

    response = save_change_form(staff_client, acme, smtp_url=typed)

    page = response.content.decode()
    assert response.status_code == 200 and "loopback, private" in page
    assert "Typed-pa55" not in page and stored(acme) == ""


def test_without_sealing_keys_the_form_says_what_the_operator_must_set(staff_client, acme, settings):
    """DEBUG off and no AUTHSVC_SEALING_KEYS: the change is refused on the form, naming the setting."""
    settings.AUTHSVC_SEALING_KEYS = []
    settings.AUTHSVC_SMTP_ALLOW_PRIVATE = True

    response = save_change_form(staff_client, acme, smtp_url="smtp://mailer:pw@127.0.0.1:25")

    assert response.status_code == 200 and "AUTHSVC_SEALING_KEYS" in response.content.decode()
    assert stored(acme) == ""


def send_test_mail(staff_client, client: Client, to: str = "staff-inbox@example.com"):
    return only_record_written_by(lambda: staff_client.post(mail_test_url(client), {"to": to}, follow=True))


def test_a_test_mail_goes_through_the_clients_server_and_is_audited(staff_client, acme, client_smtp_server, smtp_server):
    """It arrives at the client's server, logged in; the page says so; the record names the server kind, not the address."""
    client_smtp_set(client=acme, smtp_url=smtp_url_of(client_smtp_server))

    response, record = send_test_mail(staff_client, acme)

    assert response.redirect_chain[-1][0] == change_url(acme)
    assert messages(response) == ["Test mail sent to staff-inbox@example.com through its own SMTP server."]
    [mail] = client_smtp_server.received
    assert (mail["To"], mail["Subject"], client_smtp_server.logins) == ("staff-inbox@example.com", "Test mail: Acme", ["mailer@client.example"])
    assert smtp_server.received == []
    assert (record.action, record.status, record.metadata["mail_server"]) == ("client_test_mail", "success", "client")
    assert "staff-inbox" not in str(record.metadata) and record.metadata["actor"]["via"] == "admin"


@pytest.mark.parametrize(
    ("breakage", "reason", "says"),
    [
        ("server-down", "smtp_unreachable", "could not be reached"),
        ("wrong-password", "smtp_login_refused", "refused the user name and password (SMTP 535)"),
    ],
)
def test_a_failed_test_mail_says_why_and_is_audited_as_failed(staff_client, acme, client_smtp_server, breakage, reason, says):
    """A server that is down, or refuses the login: an error message with the cause, a failed record with its reason."""
    url = smtp_url_of(client_smtp_server)
    if breakage == "server-down":
        client_smtp_server.stop()
    else:
        url = url.replace("%3Aw%40rd", "-wrong")
    client_smtp_set(client=acme, smtp_url=url)

    response, record = send_test_mail(staff_client, acme)

    [message] = messages(response)
    assert message.startswith("The test mail to staff-inbox@example.com was not sent through its own SMTP server:") and says in message
    assert (record.action, record.status, record.reason) == ("client_test_mail", "failed", reason)


def test_without_a_server_of_its_own_the_test_mail_goes_through_ours(staff_client, acme, smtp_server):
    """A client without smtp_url: the test checks the way its mails actually leave, our relay."""
    response, record = send_test_mail(staff_client, acme)

    assert messages(response) == ["Test mail sent to staff-inbox@example.com through this service's mail server."]
    assert [mail["To"] for mail in smtp_server.received] == ["staff-inbox@example.com"]
    assert record.metadata["mail_server"] == "service"


def test_the_test_mail_page_asks_again_for_an_address_that_is_none(staff_client, acme, smtp_server):
    """Not an email address: the page again, with the error; nothing sent, nothing recorded."""
    before = AuditLog.objects.count()

    response = staff_client.post(mail_test_url(acme), {"to": "not-an-address"})

    assert response.status_code == 200 and "Enter a valid email address." in response.content.decode()
    assert smtp_server.received == [] and AuditLog.objects.count() == before
