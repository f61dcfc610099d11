"""`manage.py reseal_secrets`: the rotation step that seals every stored secret again under the first key
of AUTHSVC_SEALING_KEYS, so that the old keys can be dropped."""

from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command

from accounts.mfa_factors import totp_state
from crypto.sealed import seal
from tenants.models import Client
from tenants.services import client_smtp_set
from tenants.smtp import client_smtp_server, smtp_url_column
from tests.accounts.conftest import call, sign_up, totp_turn_on
from tests.conftest import make_tenant

pytestmark = pytest.mark.django_db(transaction=True)

URLS = ["smtps://a:pass-a@198.51.100.1", "smtp+tls://b:pass-b@198.51.100.2"]


@pytest.fixture
def rotation(settings):
    """Two clients whose SMTP URLs were sealed under key1; then key2 is listed first, key1 after it."""
    key1, key2 = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.AUTHSVC_SMTP_ALLOW_PRIVATE = True
    settings.AUTHSVC_SEALING_KEYS = [key1]
    clients = [make_tenant(f"Client {n}").client for n in range(2)]
    for client, url in zip(clients, URLS, strict=True):
        client_smtp_set(client=client, smtp_url=url)
    settings.AUTHSVC_SEALING_KEYS = [key2, key1]
    return clients, key1, key2


def reseal(*args: str) -> str:
    out = StringIO()
    call_command("reseal_secrets", *args, stdout=out)
    return out.getvalue()


def sealed_values(clients) -> list[str]:
    return [Client.objects.get(pk=client.pk).smtp_url_sealed for client in clients]


def test_after_resealing_the_new_key_alone_opens_every_value(settings, rotation):
    """Each value is sealed again (progress shown); with key2 alone every client's server still reads back."""
    clients, _, key2 = rotation
    before = sealed_values(clients)

    output = reseal("--progress-every", "1")

    assert "  clients.smtp_url: 1/2\n  clients.smtp_url: 2/2\n" in output
    assert "clients.smtp_url: 2 resealed, 0 changed meanwhile, 0 unreadable" in output
    assert all(new != old for new, old in zip(sealed_values(clients), before, strict=True))
    settings.AUTHSVC_SEALING_KEYS = [key2]
    assert [client_smtp_server(Client.objects.get(pk=client.pk)).password for client in clients] == ["pass-a", "pass-b"]


def test_a_value_no_listed_key_opens_is_counted_left_alone_and_fails_the_run(rotation):
    """The others are resealed; the command exits non-zero telling the operator to keep the old key."""
    clients, _, _ = rotation
    stranger = make_tenant("Stranger").client
    foreign = Fernet(Fernet.generate_key()).encrypt(b"smtp://x:y@198.51.100.3").decode()
    Client.objects.filter(pk=stranger.pk).update(smtp_url_sealed=foreign)

    with pytest.raises(CommandError, match="1 value\\(s\\) cannot be opened with any key of AUTHSVC_SEALING_KEYS"):
        reseal()

    assert Client.objects.get(pk=stranger.pk).smtp_url_sealed == foreign


def test_a_value_changed_meanwhile_is_not_overwritten(rotation):
    """The column's write is conditional: a token that is no longer the stored one replaces nothing."""
    clients, _, _ = rotation
    column = smtp_url_column()
    [stored, _] = sealed_values(clients)

    assert column.replace(clients[0].pk, "a-token-read-before-a-change", seal("smtp://198.51.100.9")) is False
    assert sealed_values(clients)[0] == stored
    assert column.replace(clients[0].pk, stored, "new") is True


@pytest.mark.store_independent
def test_without_any_key_it_stops_before_touching_anything(settings):
    """No AUTHSVC_SEALING_KEYS: a clear error naming the setting, nothing read or written."""
    settings.AUTHSVC_SEALING_KEYS = []

    with pytest.raises(CommandError, match="AUTHSVC_SEALING_KEYS"):
        reseal()


def test_totp_secrets_are_resealed_and_logins_go_on_under_the_new_key_alone(settings):
    """A user's TOTP sealed under key1; after resealing with [key2, key1], key2 alone still checks their codes."""
    key1, key2 = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.AUTHSVC_SEALING_KEYS = [key1]
    totp_user = totp_turn_on(sign_up(make_tenant("Factor Co")))
    before = totp_state(totp_user.user.row().mfa)["secret_sealed"]
    settings.AUTHSVC_SEALING_KEYS = [key2, key1]

    assert "users.totp_secret: 1 resealed, 0 changed meanwhile, 0 unreadable" in reseal()

    settings.AUTHSVC_SEALING_KEYS = [key2]
    assert totp_state(totp_user.user.row().mfa)["secret_sealed"] != before
    response = call(totp_user.user.tenant, "login/mfa", {"mfa_token": totp_user.mfa_token(), "code": totp_user.code()})
    assert response.status_code == 200, response.content
