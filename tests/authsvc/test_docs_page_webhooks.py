"""The docs page's Webhooks section: every webhook event with what sends it, the webhook endpoints,
and a Python receiver that, run as printed, accepts a real delivery and refuses a forged one."""

import html
import re
import runpy

import pytest

from authsvc.client_docs import WEBHOOK_RECEIVER_RECIPE
from authsvc.management.commands.events_doc import EVENTS_DOC
from core.events import webhook_events
from tests.accounts.conftest import sign_up
from tests.webhooks.conftest import create_webhook, deliver, receiver  # noqa: F401 - the receiver fixture

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.store_independent]


def docs_page(api, tenant) -> str:
    response = api.get(f"/docs/clients/{tenant.client_id}/")
    assert response.status_code == 200
    return response.content.decode()


def section(page: str) -> str:
    match = re.search(r'<section id="webhooks".*?</section>', page, re.DOTALL)
    assert match, "the page has no webhooks section"
    return match[0]


def test_the_section_lists_every_webhook_event_and_endpoint(api, tenant):
    """Each webhook event of the catalog, with the description of what sends it; the four paths."""
    page = docs_page(api, tenant)
    shown = html.unescape(section(page))
    for name, events in webhook_events().items():
        assert f"<code>{name}</code>" in shown
        assert " ".join(events[0].__doc__.split()) in shown
    base = f"/api/v1/{tenant.client_id}/"
    for path in ("webhooks", "webhooks/<webhook_id>", "webhooks/<webhook_id>/rotate-secret", "webhooks/<webhook_id>/deliveries"):
        assert f"{base}{path}</code>" in html.unescape(page)


@pytest.fixture
def handle_webhook(api, tenant, tmp_path, monkeypatch):
    """The receiver copied from the page into a module of its own, with the webhook's secret in its environment."""
    def load(secret: str):
        match = re.search(r'<pre id="webhook-receiver">(.*?)</pre>', docs_page(api, tenant), re.DOTALL)
        assert match, "the page shows no receiver"
        module = tmp_path / "receiver.py"
        module.write_text(html.unescape(match[1]))
        monkeypatch.setenv("AUTHSVC_WEBHOOK_SECRET", secret)
        return runpy.run_path(str(module))["handle_webhook"]

    return load


def test_the_receiver_accepts_a_real_delivery_and_refuses_a_forged_one(tenant, receiver, handle_webhook, settings, sealing_key):  # noqa: F811
    """A message as delivered: 204. The same body altered, or signed with another secret: 400."""
    settings.AUTHSVC_WEBHOOK_ALLOW_PRIVATE = settings.DEBUG = True  # the receiver is plain HTTP on loopback
    webhook = create_webhook(tenant, receiver.url, ["user.created"])
    sign_up(tenant)
    deliver()
    [item] = receiver.received
    handle = handle_webhook(webhook["secret"])

    assert handle(item.body, item.headers) == 204
    assert handle(item.body.replace(b"ada@", b"eve@"), item.headers) == 400
    other = create_webhook(tenant, receiver.url)["secret"]
    assert handle_webhook(other)(item.body, item.headers) == 400


def test_docs_api_md_shows_the_same_receiver():
    """docs/api.md (§9c) carries the receiver the page shows, character for character."""
    assert WEBHOOK_RECEIVER_RECIPE in (EVENTS_DOC.parent / "api.md").read_text()
