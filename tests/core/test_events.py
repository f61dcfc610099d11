"""The event catalog (core.events): publish and subscribe, its published list, and no secret in any payload."""

import re
from dataclasses import dataclass, fields
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.events import UserLoggedIn
from authsvc.management.commands.events_doc import EVENTS_DOC
from core.event_docs import events_markdown
from core.events import Event, catalog, publish, subscribe, unsubscribe

pytestmark = pytest.mark.store_independent

SECRET_WORDS = {"password", "passwords", "hash", "hashes", "token", "tokens", "key", "keys", "secret", "secrets"}
COUNTS = (int, bool)


def secret_fields(event_type) -> list[str]:
    """Fields whose name ends in a secret's word (`refresh_token`, `password_hash`) unless they count
    something (`revoked_tokens: int`), and any field of bytes."""
    found = []
    for field in fields(event_type):
        last_word = field.name.split("_")[-1]
        if (last_word in SECRET_WORDS and field.type not in COUNTS) or field.type is bytes:
            found.append(f"{event_type.__name__}.{field.name}")
    return found


def test_no_event_payload_has_a_field_for_a_secret():
    """No password, hash, token, key or secret in any event of the catalog (ids and counts are fine)."""
    assert [name for event_type in catalog() for name in secret_fields(event_type)] == []


def test_the_secret_field_check_catches_a_token_field():
    """The check above would fail for an event that carried a refresh token or a key."""

    @dataclass(frozen=True)
    class Leaky:
        refresh_token: str
        access_key: str
        revoked_tokens: int

    assert secret_fields(Leaky) == ["Leaky.refresh_token", "Leaky.access_key"]


def test_every_event_has_a_dotted_name_and_a_description():
    """Names are `noun.verb` (lower case); the class docstring is the published description."""
    for event_type in catalog():
        assert re.fullmatch(r"[a-z_]+\.[a-z_]+", event_type.name), event_type
        assert event_type.__doc__ and event_type.__doc__ != Event.__doc__, event_type


def test_docs_events_md_is_the_catalog():
    """docs/events.md is what `manage.py events_doc` generates from the catalog now."""
    assert EVENTS_DOC.read_text() == events_markdown()
    out = StringIO()
    call_command("events_doc", "--check", stdout=out)
    assert "matches" in out.getvalue()


def test_events_doc_check_fails_when_the_file_is_stale(tmp_path, monkeypatch):
    """A file that lags behind the catalog (an event added, not regenerated) fails --check."""
    stale = tmp_path / "events.md"
    stale.write_text(events_markdown().replace("| `user.logged_in` |", "| `user.logged_on` |"))
    monkeypatch.setattr("authsvc.management.commands.events_doc.EVENTS_DOC", stale)
    with pytest.raises(CommandError, match="differs from the event catalog"):
        call_command("events_doc", "--check")


def test_a_subscriber_gets_each_published_event_until_it_unsubscribes():
    """By type or by catalog name; after unsubscribe it gets nothing; the same handler is called once."""
    got: list[Event] = []
    subscribe(UserLoggedIn, got.append)
    subscribe("user.logged_in", got.append)
    first = UserLoggedIn()
    publish(first)
    unsubscribe(UserLoggedIn, got.append)
    publish(UserLoggedIn())
    assert got == [first]


def test_a_name_declared_twice_is_refused():
    """Two events cannot share a name: the catalog maps each name to one payload."""
    with pytest.raises(TypeError, match="declared twice"):

        @dataclass(frozen=True, kw_only=True)
        class Again(Event, name="user.logged_in"):
            """A copy."""
