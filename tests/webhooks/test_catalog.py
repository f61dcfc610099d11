"""Which events webhooks receive is declared once, on the event classes of the catalog (core.events):
the API's choices and docs/events.md read it; no field a webhook carries is a secret."""

from dataclasses import fields

import pytest

from core.events import catalog, webhook_events
from tests.core.test_events import secret_fields
from webhooks.serializers import EVENT_NAMES

pytestmark = pytest.mark.store_independent

REQUIRED = {
    "user.created", "user.login", "user.login_failed", "user.updated", "user.deleted", "user.email_verified",
    "user.password_reset", "token.reuse_detected",
}


def test_the_webhook_events_are_the_catalogs_and_the_api_offers_exactly_them():
    """At least the issue's eight; the API's list is the catalog's, in its order."""
    assert REQUIRED <= set(webhook_events())
    assert EVENT_NAMES == tuple(webhook_events())
    assert {event.webhook for event in catalog() if event.webhook} == set(EVENT_NAMES)


@pytest.mark.parametrize("event_type", [event for event in catalog() if event.webhook], ids=lambda event: event.name)
def test_each_field_a_webhook_carries_is_a_field_of_its_event_and_no_secret(event_type):
    """`webhook_fields` names fields of the payload, none of them a password, hash, token or key."""
    own = {field.name: field for field in fields(event_type)}
    assert set(event_type.webhook_fields) <= set(own)
    assert [name for name in secret_fields(event_type) if name.split(".")[-1] in event_type.webhook_fields] == []


def test_docs_events_md_names_the_webhook_of_each_event():
    """docs/events.md (generated) shows each event's webhook name in its row."""
    from authsvc.management.commands.events_doc import EVENTS_DOC

    text = EVENTS_DOC.read_text()
    for event in catalog():
        if event.webhook:
            assert f"| `{event.name}` | `{event.webhook}`" in text
