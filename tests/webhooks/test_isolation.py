"""One client's key never sees or touches another client's webhooks: on the other's path it is a
403 before anything is read; the other's webhook id on its own path is a 404."""

import pytest

from tests.accounts.conftest import call
from tests.webhooks.conftest import create_webhook
from webhooks.models import Webhook
from webhooks.signing import secret_usable

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.store_independent]

OPERATIONS = {
    "list": ("GET", "webhooks", None),
    "create": ("POST", "webhooks", {"url": "http://127.0.0.1:9/mine", "events": ["user.created"]}),
    "delete": ("DELETE", "webhooks/{webhook_id}", None),
    "rotate-secret": ("POST", "webhooks/{webhook_id}/rotate-secret", None),
    "deliveries": ("GET", "webhooks/{webhook_id}/deliveries", None),
}


@pytest.fixture
def victims_webhook(tenant) -> dict:
    return create_webhook(tenant, "http://127.0.0.1:9/victim")


def unchanged(tenant, webhook: dict) -> bool:
    [row] = Webhook.objects.filter(client=tenant.client)
    return (str(row.webhook_id), secret_usable(row.secret), row.is_enabled) == (webhook["webhook_id"], webhook["secret"], True)


@pytest.mark.parametrize(("method", "path", "body"), OPERATIONS.values(), ids=OPERATIONS.keys())
def test_another_clients_key_on_the_clients_path_is_403(tenant, other_tenant, victims_webhook, method, path, body):
    """The key of another client: 403 forbidden, nothing of the client read or changed."""
    intruder = type(tenant)(client=tenant.client, access_key=other_tenant.access_key)
    response = call(intruder, path.format(**victims_webhook), body, method=method)
    assert (response.status_code, response.json()["error"]) == (403, "forbidden")
    assert unchanged(tenant, victims_webhook)


@pytest.mark.parametrize(("method", "path", "body"), [op for name, op in OPERATIONS.items() if "{" in op[1]], ids=["delete", "rotate", "deliveries"])
def test_another_clients_webhook_id_on_ones_own_path_is_404(tenant, other_tenant, victims_webhook, method, path, body):
    """The other client's webhook id, with one's own key on one's own path: 404, as if it did not exist."""
    response = call(other_tenant, path.format(**victims_webhook), body, method=method)
    assert (response.status_code, response.json()["error"]) == (404, "not_found")
    assert unchanged(tenant, victims_webhook)
    assert call(other_tenant, "webhooks", method="GET").json()["results"] == []
