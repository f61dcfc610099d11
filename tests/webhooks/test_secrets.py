"""Signing secrets are kept sealed under AUTHSVC_SEALING_KEYS: `manage.py reseal_secrets` seals them
again under a new first key, after which the new key alone still signs what receivers verify; without
any key, a webhook cannot be created (503) and nothing is stored."""

from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from standardwebhooks import Webhook as StandardWebhook

from tests.accounts.conftest import call, sign_up
from tests.webhooks.conftest import create_webhook, deliver
from webhooks.models import Webhook

pytestmark = pytest.mark.django_db(transaction=True)


def test_resealed_secrets_sign_under_the_new_key_alone(tenant, receiver, settings):
    """Both secrets of a rotated webhook are resealed; with the old key dropped, messages still verify."""
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.AUTHSVC_SEALING_KEYS = [old_key]
    webhook = create_webhook(tenant, receiver.url)
    rotated = call(tenant, f"webhooks/{webhook['webhook_id']}/rotate-secret").json()
    before = Webhook.objects.values_list("secret", "previous_secret").get()
    settings.AUTHSVC_SEALING_KEYS = [new_key, old_key]

    out = StringIO()
    call_command("reseal_secrets", stdout=out)

    assert "webhooks.secret: 1 resealed" in out.getvalue() and "webhooks.previous_secret: 1 resealed" in out.getvalue()
    after = Webhook.objects.values_list("secret", "previous_secret").get()
    assert after[0] != before[0] and after[1] != before[1]
    settings.AUTHSVC_SEALING_KEYS = [new_key]
    sign_up(tenant)
    deliver()
    [item] = receiver.received
    for secret in (webhook["secret"], rotated["secret"]):
        assert StandardWebhook(secret).verify(item.body, item.headers)["type"] == "user.created"


@pytest.mark.store_independent
def test_without_a_sealing_key_no_webhook_is_created(tenant, settings):
    """503 service_unavailable telling the operator what to set; no row."""
    settings.AUTHSVC_SEALING_KEYS = []
    response = call(tenant, "webhooks", {"url": "http://127.0.0.1:9/hooks", "events": ["user.created"]})
    assert (response.status_code, response.json()["error"]) == (503, "service_unavailable")
    assert "AUTHSVC_SEALING_KEYS" in response.json()["detail"]
    assert not Webhook.objects.exists()
