"""Webhooks go only where the service may send (delivery.safe_http): with the operator's switch
AUTHSVC_WEBHOOK_ALLOW_PRIVATE off, loopback, private, link-local and metadata URLs are refused
when the webhook is created (400 naming `url`) and again at each delivery (the address behind a
name can change between the two: the receiver is never contacted)."""

import pytest

from tests.accounts.conftest import call, sign_up
from tests.webhooks.conftest import create_webhook, deliver

pytestmark = pytest.mark.django_db(transaction=True)

REFUSED = {
    "loopback": "http://127.0.0.1:8080/hooks",
    "localhost with a final dot": "http://localhost./hooks",
    "IPv6 loopback": "http://[::1]:8080/hooks",
    "IPv4-mapped loopback": "http://[::ffff:127.0.0.1]/hooks",
    "private network": "http://10.1.2.3/hooks",
    "cloud metadata": "http://169.254.169.254/latest/meta-data/",
    "not http": "ftp://example.com/hooks",
}


@pytest.mark.store_independent
@pytest.mark.parametrize("url", REFUSED.values(), ids=REFUSED.keys())
def test_a_private_or_metadata_url_is_refused_at_creation(tenant, settings, url):
    """400 naming `url`, and no webhook."""
    settings.AUTHSVC_WEBHOOK_ALLOW_PRIVATE = False
    response = call(tenant, "webhooks", {"url": url, "events": ["user.created"]})
    assert (response.status_code, list(response.json().get("fields", {}))) == (400, ["url"]), response.content
    assert call(tenant, "webhooks", method="GET").json()["results"] == []


@pytest.mark.store_independent
def test_a_plain_http_url_is_refused_with_debug_off(tenant, settings):
    """Production (DEBUG off) sends to https URLs only, public address or not, switch on or not."""
    settings.DEBUG = False
    for url in ("http://203.0.113.5/hooks", "http://127.0.0.1:8080/hooks"):
        response = call(tenant, "webhooks", {"url": url, "events": ["user.created"]})
        assert (response.status_code, list(response.json().get("fields", {}))) == (400, ["url"]), response.content


def test_a_url_that_became_private_is_refused_at_delivery(tenant, receiver, settings):
    """Created while allowed, delivered while not: the attempt fails as an unsafe destination, is
    retried later like any failure, and the receiver gets nothing."""
    webhook = create_webhook(tenant, receiver.url)
    settings.AUTHSVC_WEBHOOK_ALLOW_PRIVATE = False
    sign_up(tenant)

    deliver()

    assert receiver.received == [] and not receiver.contacted.is_set()
    [listed] = call(tenant, f"webhooks/{webhook['webhook_id']}/deliveries", method="GET").json()["results"]
    assert (listed["status"], listed["attempts"], listed["error"], listed["response_code"]) == ("pending", 1, "UnsafeDestination", None)
