"""Webhook messages travel the delivery engine to a real receiver on loopback: signed per the
Standard Webhooks specification (checked with its own library), retried with backoff while the
receiver is down, disabled after a run of failures, never on the request's time."""

import threading
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone
from standardwebhooks import Webhook as StandardWebhook
from standardwebhooks.webhooks import WebhookVerificationError

from audit.models import AuditLog
from delivery.models import Delivery
from delivery.services import delivery_deliver
from tests.accounts.conftest import PASSWORD, call, sign_up
from tests.webhooks.conftest import create_webhook, deliver, make_due
from webhooks.models import Webhook

pytestmark = pytest.mark.django_db(transaction=True)

END_USER = {"HTTP_X_END_USER_IP": "203.0.113.7", "HTTP_X_END_USER_AGENT": "Firefox/140"}


def verified(secret: str, item) -> dict:
    """The message's payload, if its signature verifies under `secret` (else WebhookVerificationError)."""
    return StandardWebhook(secret).verify(item.body, item.headers)


def deliveries(tenant, webhook: dict) -> list[dict]:
    response = call(tenant, f"webhooks/{webhook['webhook_id']}/deliveries", method="GET")
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_a_sign_up_reaches_the_receiver_signed_per_standard_webhooks(tenant, receiver):
    """One POST, verified by the standardwebhooks library: type, time, who, from where; the delivery
    is listed as sent with the receiver's status, and its id is the message's webhook-id."""
    webhook = create_webhook(tenant, receiver.url, ["user.created", "user.deleted"])
    user = call(tenant, "signup", {"email": "ada@example.com", "password": PASSWORD}, **END_USER).json()

    deliver()

    [item] = receiver.received
    payload = verified(webhook["secret"], item)
    assert payload["type"] == "user.created" and payload["timestamp"].endswith("Z")
    assert payload["data"] == {
        "client_id": tenant.client_id,
        "user_id": user["user_id"],
        "email": "ada@example.com",
        "ip": "203.0.113.7",
        "user_agent": "Firefox/140",
        "verification_required": False,
    }
    [listed] = deliveries(tenant, webhook)
    assert (listed["event_type"], listed["status"], listed["attempts"], listed["response_code"]) == ("user.created", "sent", 1, 204)
    assert listed["delivery_id"] == item.headers["webhook-id"] and listed["next_retry_at"] is None


def test_a_receiver_down_for_the_first_attempts_still_gets_the_event_once(tenant, receiver):
    """Connections refused twice: each attempt is recorded and the next one backs off (15 s, then
    longer, jittered); once the receiver is up the message arrives, with the same webhook-id."""
    webhook = create_webhook(tenant, receiver.url)
    receiver.stop()
    sign_up(tenant)
    delays = []
    for _ in range(2):
        deliver()
        [listed] = deliveries(tenant, webhook)
        assert (listed["status"], listed["response_code"], listed["error"]) == ("pending", None, "DeliveryFailed")
        row = Delivery.objects.get(pk=listed["delivery_id"])
        delays.append((row.next_attempt_at - timezone.now()).total_seconds())
        make_due()
    assert 6 < delays[0] <= 15 and 14 < delays[1] <= 30

    receiver.start()
    deliver()

    assert receiver.types() == ["user.created"]
    [listed] = deliveries(tenant, webhook)
    assert (listed["status"], listed["attempts"], listed["response_code"]) == ("sent", 3, 204)
    assert receiver.received[0].headers["webhook-id"] == listed["delivery_id"]
    assert Webhook.objects.get(pk=webhook["webhook_id"]).consecutive_failures == 0


def test_a_dead_receiver_disables_its_webhook_after_a_long_enough_run_of_failures(tenant, receiver, settings):
    """Three 503s in a row within the hour leave it enabled; past the span, the next failure disables
    it: audited, shown by the API, its queued message discarded, no new one queued."""
    settings.AUTHSVC_WEBHOOK_DISABLE_AFTER_FAILURES = 3
    settings.AUTHSVC_WEBHOOK_DISABLE_AFTER_SECONDS = 3600
    receiver.status = 503
    webhook = create_webhook(tenant, receiver.url)
    sign_up(tenant)
    for _ in range(3):
        deliver()
        make_due()
    assert call(tenant, "webhooks", method="GET").json()["results"][0]["enabled"] is True

    settings.AUTHSVC_WEBHOOK_DISABLE_AFTER_SECONDS = 0
    deliver()

    [shown] = call(tenant, "webhooks", method="GET").json()["results"]
    assert (shown["enabled"], shown["consecutive_failures"]) == (False, 4)
    assert shown["disabled_reason"].startswith("4 failed deliveries in a row since") and shown["disabled_at"]
    record = AuditLog.objects.get(action="webhook_disable")
    assert (record.client_id, record.metadata["webhook_id"], record.metadata["consecutive_failures"]) == (
        tenant.client.client_id, webhook["webhook_id"], 4,
    )
    make_due()
    deliver()
    assert [item["status"] for item in deliveries(tenant, webhook)] == ["discarded"]
    sign_up(tenant, email="grace@example.com")
    assert Delivery.objects.filter(kind="webhook").count() == 1


def test_a_rotated_secret_verifies_with_the_old_and_the_new_one_until_the_overlap_ends(tenant, receiver):
    """Two signatures for 24 hours, either verifies; then only the new secret's."""
    webhook = create_webhook(tenant, receiver.url, ["user.created"])
    rotated = call(tenant, f"webhooks/{webhook['webhook_id']}/rotate-secret").json()
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != webhook["secret"]
    sign_up(tenant)
    deliver()
    assert verified(webhook["secret"], receiver.received[0]) == verified(rotated["secret"], receiver.received[0])

    Webhook.objects.filter(pk=webhook["webhook_id"]).update(previous_secret_expires_at=timezone.now() - timedelta(seconds=1))
    sign_up(tenant, email="grace@example.com")
    deliver()
    assert verified(rotated["secret"], receiver.received[1])["data"]["email"] == "grace@example.com"
    with pytest.raises(WebhookVerificationError):
        verified(webhook["secret"], receiver.received[1])


def test_requests_never_wait_for_a_receiver_that_does_not_answer(tenant, receiver):
    """A worker holds a connection to a receiver that does not answer; sign-ups meanwhile answer
    201 at once, each leaving its message queued, and all arrive once the receiver answers."""
    receiver.release = threading.Event()
    create_webhook(tenant, receiver.url)
    sign_up(tenant)
    [queued] = Delivery.objects.filter(kind="webhook")
    worker = threading.Thread(target=_deliver_in_a_thread, args=(queued.pk,))
    worker.start()
    try:
        assert receiver.contacted.wait(timeout=30)
        for email in ("grace@example.com", "alan@example.com"):
            assert call(tenant, "signup", {"email": email, "password": PASSWORD}).status_code == 201
        assert receiver.received == []
    finally:
        receiver.release.set()
        worker.join(timeout=60)
    deliver()
    assert sorted(item.json["data"]["email"] for item in receiver.received) == ["ada@example.com", "alan@example.com", "grace@example.com"]


def _deliver_in_a_thread(delivery_id) -> None:
    """The engine's entry point for one delivery (what an RQ job runs), on a connection of its own."""
    try:
        delivery_deliver(delivery_id=str(delivery_id))
    finally:
        connections.close_all()
