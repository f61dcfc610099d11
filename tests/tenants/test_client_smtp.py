"""A client's own SMTP server (`smtp_url`): what is accepted, the connection built from it, and that
the URL is kept only sealed, never answered, logged or audited by value."""

import json
from pathlib import Path

import pytest
from django.db import connections

from audit.models import AuditLog
from core.errors import InvalidRequest
from crypto.errors import SealingUnavailable
from crypto.sealed import seal
from tenants.models import Client
from tenants.services import client_smtp_set
from tenants.smtp import client_mail_connection, smtp_url_parse, smtp_url_seal
from tests.conftest import make_tenant
from tests.stores import STORE

PASSWORD = "Hunter2-secret"
URL = f"smtp+tls://mailer%40acme.example:{PASSWORD}@198.51.100.25:2525"  # an address no test connects to


@pytest.mark.store_independent
@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.acme.example", ("mail.acme.example", 25, "none", "", "")),
        ("smtp+tls://u:p@mail.acme.example", ("mail.acme.example", 587, "starttls", "u", "p")),
        ("smtps://u:p@mail.acme.example", ("mail.acme.example", 465, "tls", "u", "p")),
        ("SMTPS://U:P@Mail.Acme.Example:2465/", ("mail.acme.example", 2465, "tls", "U", "P")),
        ("smtp+tls://me%40acme.example:p%40ss%3Aw%2Fd@[2001:db8::25]:587", ("2001:db8::25", 587, "starttls", "me@acme.example", "p@ss:w/d")),
    ],
    ids=["smtp-defaults-to-25", "starttls-587", "smtps-is-tls-on-465", "case-and-trailing-slash", "percent-encoded-ipv6"],
)
def test_accepted_urls_name_the_server_its_tls_and_port(url, expected):
    """The scheme decides TLS and the default port (smtps is TLS from the first byte, not dj-email-url's STARTTLS)."""
    server = smtp_url_parse(url)

    assert (server.host, server.port, server.security, server.username, server.password) == expected
    assert "password" not in repr(server)  # a logged or printed server shows no password


HOSTILE = [
    ("http://u:Hunter2-secret@mail.acme.example", "smtp://"),
    ("javascript:alert(1)//Hunter2-secret", "smtp://"),
    ("smtp+ssl://u:Hunter2-secret@mail.acme.example", "smtp://"),
    ("smtp://u:Hunter2-secret@", "host"),
    ("smtp://u:Hunter2-secret@mail.acme.example:0", "port"),
    ("smtp://u:Hunter2-secret@mail.acme.example:65536", "port"),
    ("smtp://u:Hunter2-secret@mail.acme.example:smtp", "port"),
    ("smtp://u:Hunter2-secret@mail.acme.example?_default_from_email=ceo@bank.example", "query"),
    ("smtp://u:Hunter2-secret@mail.acme.example?tls=1&timeout=3600", "query"),
    ("smtp://u:Hunter2-secret@mail.acme.example/inbox#x", "path"),
    ("smtp://u:Hunter2-secret@mail.acme.example\r\nRCPT TO:<x@y>", "control"),
    ("smtp://u%0d%0aRSET:Hunter2-secret@mail.acme.example", "control"),
    ("smtp://u:Hunter2-secret@m\u00e4il.acme.example", "xn--"),
    ("smtp://u:Hunter2-secret@[::1", "host"),
    ("smtp://:Hunter2-secret@mail.acme.example", "user name"),
    ("smtp://u:Hunter2-secret@" + "a" * 2048 + ".example", "2048"),
    ("smtp://u:Hunter2-secret@127.0.0.1:6379", "loopback"),
    ("smtp://u:Hunter2-secret@localhost", "loopback"),
    ("smtp://u:Hunter2-secret@[::1]", "loopback"),
    ("smtp://u:Hunter2-secret@[::ffff:127.0.0.1]", "loopback"),
    ("smtp://u:Hunter2-secret@169.254.169.254", "loopback"),
    ("smtp://u:Hunter2-secret@10.1.2.3", "loopback"),
    ("smtp://u:Hunter2-secret@0.0.0.0", "loopback"),
    ("smtp://u:Hunter2-secret@224.0.0.251", "loopback"),
    ("smtp://u:Hunter2-secret@no-such-host.invalid", "resolve"),
]


@pytest.mark.store_independent
@pytest.mark.parametrize(("url", "says"), HOSTILE, ids=[f"{index:02d}-{says}" for index, (_, says) in enumerate(HOSTILE)])
def test_hostile_urls_are_refused_naming_smtp_url_and_never_quoting_it(settings, sealing_key, url, says):
    """Other schemes, no host, bad ports, any query (dj-email-url would read TLS, timeout and From from it),
    control characters and non-public addresses: 400 under fields.smtp_url, without the URL or its password."""
    settings.AUTHSVC_SMTP_ALLOW_PRIVATE = False

    with pytest.raises(InvalidRequest) as raised:
        smtp_url_seal(url)

    [message] = raised.value.fields["smtp_url"]
    assert says in message
    assert PASSWORD not in message and "mail.acme.example" not in message


@pytest.mark.store_independent
def test_the_operators_switch_lets_a_private_network_server_through(settings, sealing_key):
    """AUTHSVC_SMTP_ALLOW_PRIVATE=1 accepts a relay on a private address (and the tests' loopback servers)."""
    settings.AUTHSVC_SMTP_ALLOW_PRIVATE = True

    assert smtp_url_seal("smtp://10.1.2.3:25")


@pytest.mark.store_independent
@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (URL, ("198.51.100.25", 2525, "mailer@acme.example", PASSWORD, True, False)),
        ("smtps://198.51.100.25", ("198.51.100.25", 465, "", "", False, True)),
        ("smtp://198.51.100.25", ("198.51.100.25", 25, "", "", False, False)),
    ],
    ids=["starttls-with-login", "tls-without-login", "plain-without-login"],
)
def test_the_connection_takes_every_value_from_the_clients_url_and_none_from_ours(settings, sealing_key, url, expected):
    """Our relay's user, password, port and client certificate never reach a client's server; the timeout is ours."""
    settings.AUTHSVC_SMTP_ALLOW_PRIVATE = True
    settings.EMAIL_HOST, settings.EMAIL_PORT = "relay.ours.example", 2587
    settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = "our-relay-user", "our-relay-password"
    settings.EMAIL_SSL_CERTFILE, settings.EMAIL_SSL_KEYFILE = "/etc/ours/cert.pem", "/etc/ours/key.pem"
    settings.EMAIL_TIMEOUT = 7

    connection = client_mail_connection(Client(smtp_url_sealed=seal(url)))

    got = (connection.host, connection.port, connection.username, connection.password, connection.use_tls, connection.use_ssl)
    assert got == expected
    assert (connection.ssl_certfile, connection.ssl_keyfile, connection.timeout) == ("", "", 7)
    assert client_mail_connection(Client()) is None


@pytest.mark.store_independent
def test_without_sealing_keys_a_url_is_refused_with_503_saying_what_to_set(settings):
    """DEBUG off and no AUTHSVC_SEALING_KEYS: service_unavailable telling the operator what to set."""
    settings.AUTHSVC_SEALING_KEYS = []
    settings.AUTHSVC_SMTP_ALLOW_PRIVATE = True

    with pytest.raises(SealingUnavailable) as raised:
        smtp_url_seal("smtp://198.51.100.25")

    assert raised.value.status_code == 503 and "AUTHSVC_SEALING_KEYS" in raised.value.detail


# --- what the stores hold ----------------------------------------------------------------------


def raw_rows(table: str) -> str:
    """Every row of `table` as the store holds it, read past the ORM (the SQL cursor; pymongo on MongoDB)."""
    connection = connections["default"]
    if STORE == "mongodb":
        return json.dumps(list(connection.database[table].find()), default=str)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
        return json.dumps(cursor.fetchall(), default=str)


def database_dump() -> str:
    """The clients table, the audit trail and the admin's history, raw; on SQLite also the file's bytes."""
    dump = "".join(raw_rows(table) for table in ("clients", "audit_logs", "django_admin_log"))
    if STORE == "sqlite":
        name = Path(connections["default"].settings_dict["NAME"])
        for path in (name, name.with_name(name.name + "-wal")):
            if path.exists():
                dump += path.read_bytes().decode("latin-1")
    return dump


def assert_nothing_in_clear(dump: str, *secrets: str) -> None:
    assert "gAAAAA" in dump and "client_update" in dump  # the sealed token and the trail were read
    for secret in secrets:
        assert secret not in dump, f"{secret[:12]}... is readable in the dump"


@pytest.mark.django_db(transaction=True)
def test_the_url_is_kept_only_sealed_whichever_surface_sets_it(settings, sealing_key, staff_client):
    """Set through the service and through the admin form: no raw row, trail entry or database byte holds the URL or its password."""
    settings.AUTHSVC_SMTP_ALLOW_PRIVATE = True
    client = make_tenant("Acme").client

    client_smtp_set(client=client, smtp_url=URL)
    sealed = Client.objects.get(pk=client.pk).smtp_url_sealed
    assert sealed and PASSWORD not in sealed
    assert_nothing_in_clear(database_dump(), URL, PASSWORD, "mailer%40acme.example")

    other_password = "An0ther-Pa55word"
    form = {"client_name": "Acme", "industry": "SaaS", "rate_limits": "{}", "custom_fields_schema": "null"}
    form |= {"smtp_url": f"smtps://admin:{other_password}@198.51.100.26", "access_keys-TOTAL_FORMS": "0", "access_keys-INITIAL_FORMS": "0"}
    assert staff_client.post(f"/admin/tenants/client/{client.pk}/change/", form).status_code == 302
    assert Client.objects.get(pk=client.pk).smtp_url_sealed != sealed
    assert_nothing_in_clear(database_dump(), URL, PASSWORD, other_password, "198.51.100.26")


@pytest.mark.django_db(transaction=True)
def test_setting_and_removing_it_is_audited_by_name_only(settings, sealing_key):
    """client_update names `smtp_url` in metadata.fields; no record holds the URL; None removes it."""
    settings.AUTHSVC_SMTP_ALLOW_PRIVATE = True
    client = make_tenant("Acme").client

    client_smtp_set(client=client, smtp_url=URL)
    client_smtp_set(client=client, smtp_url=None)

    records = AuditLog.objects.filter(client_id=client.client_id, action="client_update").order_by("timestamp")
    assert [record.metadata["fields"] for record in records] == [["smtp_url"], ["smtp_url"]]
    assert PASSWORD not in json.dumps([record.metadata for record in records])
    assert Client.objects.get(pk=client.pk).smtp_url_sealed == ""


@pytest.mark.django_db(transaction=True)
def test_the_client_reads_whether_it_has_a_server_and_its_host_never_the_url(api, settings, sealing_key):
    """GET /api/v1/{client_id}/ answers smtp_configured and smtp_host, nothing of the credentials."""
    settings.AUTHSVC_SMTP_ALLOW_PRIVATE = True
    tenant = make_tenant("Acme")
    before = api.get(tenant.url(), **tenant.auth).json()

    client_smtp_set(client=tenant.client, smtp_url=URL)
    response = api.get(tenant.url(), **tenant.auth)

    assert (before["smtp_configured"], before["smtp_host"]) == (False, None)
    body = response.json()
    assert (body["smtp_configured"], body["smtp_host"]) == (True, "198.51.100.25")
    assert "smtp_url" not in body and "smtp_url_sealed" not in body
    assert PASSWORD not in response.content.decode() and "mailer" not in response.content.decode()


@pytest.mark.store_independent
@pytest.mark.django_db(transaction=True)
def test_a_url_no_key_opens_leaves_the_settings_readable(api, settings, sealing_key, caplog):
    """A sealing key dropped too soon: GET still answers (configured, host unknown) and logs no secret."""
    tenant = make_tenant("Acme")
    Client.objects.filter(pk=tenant.client.pk).update(smtp_url_sealed="gAAAAAB-sealed-under-a-dropped-key")
    assert settings.AUTHSVC_SEALING_KEYS

    body = api.get(tenant.url(), **tenant.auth).json()

    assert (body["smtp_configured"], body["smtp_host"]) == (True, None)
    assert "cannot be unsealed" in caplog.text and "gAAAAAB" not in caplog.text
