"""The webhooks API (docs/api.md, Webhooks): create, list, delete, rotate-secret, deliveries;
strict, bounded bodies; the secret shown once."""

import base64

import pytest

from audit.models import AuditLog
from tests.accounts.conftest import call, sign_up
from tests.webhooks.conftest import create_webhook, deliver
from webhooks.models import Webhook
from webhooks.serializers import EVENT_NAMES

pytestmark = pytest.mark.django_db(transaction=True)

# Loopback (the switch is on in these tests): no name to resolve.
URL = "http://127.0.0.1:9/hooks"


def listed(tenant) -> list[dict]:
    response = call(tenant, "webhooks", method="GET")
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_a_webhook_is_answered_with_its_secret_once_and_listed_without_it(tenant, receiver):
    """201 with a `whsec_` secret of 32 random bytes; the list, the audit record and the second
    secret never show it; the record names the webhook and its events, not its URL."""
    created = create_webhook(tenant, receiver.url, ["user.created", "user.login"], description="CRM sync")

    assert set(created) == {"webhook_id", "url", "events", "description", "secret", "created_at"}
    assert (created["url"], created["events"], created["description"]) == (receiver.url, ["user.created", "user.login"], "CRM sync")
    assert created["secret"].startswith("whsec_") and len(base64.b64decode(created["secret"].removeprefix("whsec_"))) == 32
    stored = Webhook.objects.get(pk=created["webhook_id"]).secret
    assert created["secret"].removeprefix("whsec_") not in stored  # sealed: a dump of the table does not sign
    [shown] = listed(tenant)
    assert "secret" not in shown and created["secret"] not in str(shown)
    assert (shown["webhook_id"], shown["enabled"], shown["disabled_reason"], shown["consecutive_failures"]) == (
        created["webhook_id"], True, "", 0,
    )
    record = AuditLog.objects.get(action="webhook_create")
    assert record.metadata == {"webhook_id": created["webhook_id"], "events": ["user.created", "user.login"]}
    assert create_webhook(tenant, receiver.url)["secret"] != created["secret"]


def test_a_deleted_webhook_is_gone_and_sent_nothing_more(tenant, receiver):
    """204, then 404 for it everywhere; a message queued before the delete is discarded unsent."""
    created = create_webhook(tenant, receiver.url)
    sign_up(tenant)

    assert call(tenant, f"webhooks/{created['webhook_id']}", method="DELETE").status_code == 204

    assert listed(tenant) == []
    for method, path in (("DELETE", ""), ("POST", "/rotate-secret"), ("GET", "/deliveries")):
        assert call(tenant, f"webhooks/{created['webhook_id']}{path}", method=method).status_code == 404
    deliver()
    assert receiver.received == []
    assert AuditLog.objects.filter(action="webhook_delete", metadata__webhook_id=created["webhook_id"]).count() == 1


def test_deliveries_are_paged_newest_first_with_a_cursor(tenant, receiver):
    """limit=2 over three messages: two, then one with `next` null; a bad cursor is a 400."""
    created = create_webhook(tenant, receiver.url)
    for email in ("a@example.com", "b@example.com", "c@example.com"):
        sign_up(tenant, email=email)
    path = f"webhooks/{created['webhook_id']}/deliveries"

    first = call(tenant, f"{path}?limit=2", method="GET").json()
    second = call(tenant, f"{path}?limit=2&cursor={first['next']}", method="GET").json()

    assert (len(first["results"]), len(second["results"]), second["next"]) == (2, 1, None)
    pages = first["results"] + second["results"]
    assert len({item["delivery_id"] for item in pages}) == 3
    assert [item["created_at"] for item in pages] == sorted((item["created_at"] for item in pages), reverse=True)
    assert {(item["status"], item["attempts"], item["next_retry_at"] is not None) for item in pages} == {("pending", 0, True)}
    assert call(tenant, f"{path}?cursor=nonsense", method="GET").status_code == 400


TOO_LONG_URL = URL + "/" + "a" * 2048
INVALID_BODIES = {
    "unknown key": ({"url": URL, "events": ["user.created"], "secret": "whsec_mine"}, "secret"),
    "no url": ({"events": ["user.created"]}, "url"),
    "url not text": ({"url": 42, "events": ["user.created"]}, "url"),
    "url too long": ({"url": TOO_LONG_URL, "events": ["user.created"]}, "url"),
    "no events": ({"url": URL, "events": []}, "events"),
    "events not a list": ({"url": URL, "events": "user.created"}, "events"),
    "an event twice": ({"url": URL, "events": ["user.created", "user.created"]}, "events"),
    "description on two lines": ({"url": URL, "events": ["user.created"], "description": "a\nb"}, "description"),
    "description too long": ({"url": URL, "events": ["user.created"], "description": "d" * 201}, "description"),
}


@pytest.mark.store_independent
@pytest.mark.parametrize(("body", "field"), INVALID_BODIES.values(), ids=INVALID_BODIES.keys())
def test_an_invalid_body_is_a_400_naming_its_field_and_creates_nothing(tenant, body, field):
    """Strict bodies, bounded sizes: the envelope names the field; no webhook is created."""
    response = call(tenant, "webhooks", body)
    assert response.status_code == 400, response.content
    assert (response.json()["error"], list(response.json()["fields"])) == ("invalid_request", [field])
    assert listed(tenant) == []


@pytest.mark.store_independent
def test_an_unknown_event_is_a_400_listing_the_valid_ones(tenant):
    """The message names the unknown event and every valid webhook event."""
    response = call(tenant, "webhooks", {"url": URL, "events": ["user.created", "user.exploded"]})
    [message] = response.json()["fields"]["events"]
    assert response.status_code == 400 and "'user.exploded'" in message
    assert all(name in message for name in EVENT_NAMES)


@pytest.mark.store_independent
def test_an_eleventh_webhook_is_refused_with_409(tenant):
    """At most 10 webhooks per client: the eleventh answers webhook_limit_reached."""
    for number in range(10):
        create_webhook(tenant, f"{URL}/{number}")
    response = call(tenant, "webhooks", {"url": URL, "events": ["user.created"]})
    assert (response.status_code, response.json()["error"]) == (409, "webhook_limit_reached")
    assert len(listed(tenant)) == 10
