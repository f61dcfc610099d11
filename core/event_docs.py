"""docs/events.md, generated from the event catalog (core.events): `manage.py events_doc`."""

import re
from dataclasses import fields

from core.events import Event, catalog

ENVELOPE = {field.name for field in fields(Event)}
# `uuid.UUID | None` → `UUID | None`: the published type names, without their modules.
MODULE_PREFIX = re.compile(r"\b(?:[a-z_][a-z0-9_]*\.)+(?=[A-Za-z_])")

HEADER = """# Events

Generated from the event catalog (`core.events`) by `python manage.py events_doc`; do not edit
by hand (a test checks that this file matches the catalog).

Every event is published where it happens (a flow, a service, the mail outbox); a refusal that
no flow decided (an access key refused, an invalid body, a rate limit) is published by whoever
answers it: the API's exception handler or a mailed-link page (`core.refusals`). Audit records
one row per event; webhooks subscribe to the same events.

Every event carries `client_id` (UUID or None), `user_id` (UUID or None) and `request_meta`
(where the request came from: `ip_address`, `user_agent`; None when it did not come over HTTP).
A failure carries `reason`: the error code answered, or a finer one. No payload ever carries a
password, a hash, a token, a key or any other secret.

A client's webhooks receive the events with a name in the Webhook column, under that name (several
events may share one): `{"type", "timestamp", "data"}`, the data holding `client_id`, `user_id`,
`email` (when the user exists), `ip` and `user_agent`, plus the payload fields named there
(docs/api.md, Webhooks).

| Event | Webhook | Payload | What happened |
|---|---|---|---|
"""


def type_name(annotation) -> str:
    """The type as the docs print it; `or` for a union (a `|` would split the table's cell)."""
    if isinstance(annotation, type):
        return annotation.__name__
    return MODULE_PREFIX.sub("", str(annotation)).replace(" | ", " or ")


def _payload(event_type: type[Event]) -> str:
    own = [field for field in fields(event_type) if field.name not in ENVELOPE]
    return "<br>".join(f"`{field.name}`: {type_name(field.type)}" for field in own) or "—"


def _description(event_type: type[Event]) -> str:
    return " ".join((event_type.__doc__ or "").split())


def _webhook(event_type: type[Event]) -> str:
    if not event_type.webhook:
        return "—"
    extra = ", ".join(f"`{name}`" for name in event_type.webhook_fields)
    return f"`{event_type.webhook}`" + (f" (+ {extra})" if extra else "")


def events_markdown() -> str:
    rows = [f"| `{event.name}` | {_webhook(event)} | {_payload(event)} | {_description(event)} |" for event in catalog()]
    return HEADER + "\n".join(rows) + "\n"
