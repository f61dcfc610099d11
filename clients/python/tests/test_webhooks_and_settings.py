"""The client's own settings (PATCH) and webhooks through the SDK, and WebhookReceiver verifying the
messages a real delivery worker sent to a real receiver."""

import pytest
from conftest import PASSWORD, unique_email

from authsvc_client import ClientSettings, UnsafeUrl, ValidationError, WebhookLimitReached, WebhookSecret
from authsvc_client.webhooks import WebhookReceiver, WebhookVerificationFailed
from tests.conftest import sealing_key  # noqa: F401  fixtures of the suite's webhook tests, for this module
from tests.stores import free_port
from tests.webhooks.conftest import Receiver, _fresh_subscriptions, _loopback_receivers_allowed, _sealing, deliver  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.store_independent]


@pytest.fixture
def receiver():
    """A webhook receiver on loopback (the suite's), plain HTTP: the autouse fixtures above allow it."""
    receiver = Receiver(port=free_port())
    receiver.start()
    yield receiver
    receiver.stop()


def test_update_settings_changes_them_and_answers_them(sdk):
    """PATCH /api/v1/<client_id>/: the answer is the settings as GET answers them; a bad value is a 400."""
    changed = sdk.update_settings(require_email_verification=True, mail_sender_name="The Shop", refresh_reuse_interval=20)
    assert isinstance(changed, ClientSettings) and changed.require_email_verification is True
    assert changed.refresh_reuse_interval == 20
    assert sdk.get_settings().raw["mail_sender_name"] == "The Shop"
    with pytest.raises(ValidationError) as refused:
        sdk.update_settings(industry="Space piracy")
    assert "industry" in refused.value.fields


def test_webhook_messages_verify_with_the_secret_create_webhook_answered(sdk, receiver):
    """A sign-up's `user.created`, delivered by the worker, verifies and reads as a typed event; altered, it does not."""
    created = sdk.create_webhook(receiver.url, ["user.created"], description="shop")
    assert isinstance(created, WebhookSecret) and created.secret.startswith("whsec_") and "whsec" not in repr(created)
    user = sdk.signup(unique_email(), PASSWORD)
    deliver()
    (message,) = receiver.received
    event = WebhookReceiver(created.secret).verify(message.body, message.headers)
    assert (event.type, event.data["user_id"], event.id) == ("user.created", user.user_id, message.headers["webhook-id"])
    with pytest.raises(WebhookVerificationFailed):
        WebhookReceiver(created.secret).verify(message.body.replace(b"user.created", b"user.deleted"), message.headers)
    (delivery,) = sdk.list_webhook_deliveries(created.webhook_id)
    assert (delivery.delivery_id, delivery.status, delivery.response_code) == (event.id, "sent", 204)


def test_list_rotate_and_delete_webhooks(sdk, receiver):
    """The list never shows a secret; a rotation answers a new one that verifies the next message; delete removes it."""
    created = sdk.create_webhook(receiver.url, ["user.created"])
    (listed,) = sdk.list_webhooks()
    assert (listed.webhook_id, listed.url, listed.events, listed.enabled) == (created.webhook_id, receiver.url, ["user.created"], True)
    assert "secret" not in listed.raw
    rotated = sdk.rotate_webhook_secret(created.webhook_id)
    assert rotated.secret != created.secret and rotated.previous_secret_expires_at is not None
    sdk.signup(unique_email(), PASSWORD)
    deliver()
    (message,) = receiver.received
    for secret in (rotated.secret, created.secret):  # both sign while the receiver switches
        assert WebhookReceiver(secret).verify(message.body, message.headers).type == "user.created"
    sdk.delete_webhook(created.webhook_id)
    assert sdk.list_webhooks() == []


def test_webhook_refusals_raise_their_classes(sdk, receiver, settings):
    """An unsafe destination is UnsafeUrl (a ValidationError); the eleventh webhook WebhookLimitReached (a Conflict)."""
    settings.AUTHSVC_WEBHOOK_ALLOW_PRIVATE = False
    with pytest.raises(UnsafeUrl) as unsafe:
        sdk.create_webhook("https://127.0.0.1/hooks", ["user.login"])
    assert "url" in unsafe.value.fields
    settings.AUTHSVC_WEBHOOK_ALLOW_PRIVATE = True
    for n in range(10):
        sdk.create_webhook(receiver.url + f"/{n}", ["user.login"])
    with pytest.raises(WebhookLimitReached) as limit:
        sdk.create_webhook(receiver.url, ["user.login"])
    assert limit.value.status == 409
