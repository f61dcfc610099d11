"""The event mechanism: a typed event per thing that happened, one catalog, publish and subscribe.

Core knows no app: each app declares its own events in its `events` module, as frozen
dataclasses naming themselves (`class UserLoggedIn(Event, name="user.logged_in")`); the class
docstring is the event's published description (docs/events.md, `manage.py events_doc`).
Events are published where the thing happens (a flow, a service, the outbox), never by a view;
refusals that no flow decided (an access key refused, a body that does not parse, a rate limit)
are published by whoever answers them (core.refusals). Audit subscribes to every event it
records, and webhooks subscribe the same way.

An event a client's webhooks may receive says so where it is declared: its public name
(`class UserSignedUp(Event, name="user.signed_up", webhook="user.created")`) and which of its own
fields the webhook's data carries besides who and where from (`webhook_fields=("fields",)`).
`webhook_events()` is the one list of them: the webhooks app, its API's choices and
docs/events.md all read it.

Publishing is one dict lookup and a loop over the handlers resolved when they subscribed (at
ready time): it is on the login and refresh paths. A payload never carries a password, a hash,
a token, a key or any other secret (tests/core/test_events.py checks the catalog's fields).
"""

import uuid
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from typing import Any, ClassVar, TypeVar

from django.utils.module_loading import autodiscover_modules

from core.errors import ServiceError
from core.request_meta import RequestMeta

_CATALOG: dict[str, type["Event"]] = {}
_SUBSCRIBERS: dict[type["Event"], tuple[Callable[["Event"], None], ...]] = {}
# Errors whose failure event was published where they were raised: the exception handler
# answers them without publishing a second event. Weak, so an answered error is not kept.
_PUBLISHED_REFUSALS: "weakref.WeakSet[BaseException]" = weakref.WeakSet()


@dataclass(frozen=True, kw_only=True)
class Event:
    """Base of every event: which client and user it concerns, and where the request came from."""

    name: ClassVar[str] = ""
    # The name a client's webhooks know it by ("" : never sent to webhooks), and the fields of the
    # payload its webhook data carries besides the envelope's (ids, email, ip, user agent).
    webhook: ClassVar[str] = ""
    webhook_fields: ClassVar[tuple[str, ...]] = ()
    client_id: uuid.UUID | None = None
    user_id: uuid.UUID | None = None
    request_meta: RequestMeta | None = None  # None when the event did not come over HTTP

    def __init_subclass__(cls, name: str = "", webhook: str = "", webhook_fields: tuple[str, ...] = (), **kwargs):
        super().__init_subclass__(**kwargs)
        cls.webhook, cls.webhook_fields = webhook, tuple(webhook_fields)
        if not name:
            return  # an abstract base (Failure), not an event of the catalog
        if name in _CATALOG:
            raise TypeError(f"Event name {name!r} is declared twice ({_CATALOG[name].__qualname__}, {cls.__qualname__}).")
        cls.name = name
        _CATALOG[name] = cls


@dataclass(frozen=True, kw_only=True)
class Failure(Event):
    """Base of the events of an attempt that was refused; `reason` is an error code, or finer."""

    reason: str

    @classmethod
    def of(cls, error: ServiceError, **envelope: Any) -> "Failure":
        """The failure event of `error`, raised by the flow that publishes this event."""
        return cls(user_id=error.user_id, reason=error.code, **envelope)


def catalog() -> list[type[Event]]:
    """Every declared event, by name (each app's `events` module is imported first)."""
    autodiscover_modules("events")
    import_module("core.refusals")  # core's own: the refusals no flow decided
    return [_CATALOG[name] for name in sorted(_CATALOG)]


def webhook_events() -> dict[str, tuple[type[Event], ...]]:
    """Webhook event name → the catalog's events sent under it (several may share one name)."""
    named: dict[str, tuple[type[Event], ...]] = {}
    for event_type in catalog():
        if event_type.webhook:
            named[event_type.webhook] = (*named.get(event_type.webhook, ()), event_type)
    return dict(sorted(named.items()))


def event_named(name: str) -> type[Event]:
    if name not in _CATALOG:
        catalog()
    return _CATALOG[name]


def subscribe(event: type[Event] | str, handler: Callable[[Any], None]) -> None:
    """Call `handler(event)` for every `event` published from now on (a type or a catalog name)."""
    event_type = event_named(event) if isinstance(event, str) else event
    handlers = _SUBSCRIBERS.get(event_type, ())
    if handler not in handlers:
        _SUBSCRIBERS[event_type] = (*handlers, handler)


def unsubscribe(event: type[Event] | str, handler: Callable[[Any], None]) -> None:
    event_type = event_named(event) if isinstance(event, str) else event
    _SUBSCRIBERS[event_type] = tuple(known for known in _SUBSCRIBERS.get(event_type, ()) if known != handler)


def publish(event: Event) -> None:
    for handler in _SUBSCRIBERS.get(type(event), ()):
        handler(event)


E = TypeVar("E", bound=BaseException)


def publish_refusal(event: Failure, error: E) -> E:
    """Publish the failure `event` of `error`, which the caller then raises (or hands back)."""
    publish(event)
    _PUBLISHED_REFUSALS.add(error)
    return error


def refusal_published(error: BaseException) -> bool:
    """Whether `error`'s failure event was already published where it was raised."""
    return error in _PUBLISHED_REFUSALS


class failures_published:  # lower case: it reads as a function, `with failures_published(...)`
    """Publish `failure.of(error, **envelope)` for a ServiceError the block raises (once), and let it go on.

    A class, not @contextmanager: it wraps the login and refresh flows, and a generator costs more.
    """

    __slots__ = ("failure", "envelope")

    def __init__(self, failure: type[Failure], **envelope: Any):
        self.failure, self.envelope = failure, envelope

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, error, traceback) -> bool:
        if isinstance(error, ServiceError) and not refusal_published(error):
            publish_refusal(self.failure.of(error, **self.envelope), error)
        return False  # the error goes on
