"""The kinds of delivery: what the engine (delivery.services) asks of each one.

An app registers its kind once, when Django starts (its AppConfig.ready), with three hooks and
a policy; the engine does the rest (queueing after commit, claim, lease, jittered retries,
sweep, give-up, dead letters, the admin and the commands) the same way for every kind.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from delivery.models import Delivery


@dataclass(frozen=True)
class Policy:
    """Seconds: the first retry's delay, doubling (jittered) up to `retry_max`; a delivery not
    sent `max_age` after it was queued fails; a worker holds one for `lease`; workers sweep
    every `sweep` (the smallest of every kind's)."""

    retry: int
    retry_max: int
    max_age: int
    lease: int
    sweep: int

    @classmethod
    def from_settings(cls, prefix: str) -> "Policy":
        """A kind's policy from its settings `<prefix>_RETRY_SECONDS`, `_RETRY_MAX_SECONDS`,
        `_MAX_AGE_SECONDS`, `_LEASE_SECONDS` and `_SWEEP_SECONDS`, read when called (so at each use)."""
        return cls(
            retry=getattr(settings, f"{prefix}_RETRY_SECONDS"),
            retry_max=getattr(settings, f"{prefix}_RETRY_MAX_SECONDS"),
            max_age=getattr(settings, f"{prefix}_MAX_AGE_SECONDS"),
            lease=getattr(settings, f"{prefix}_LEASE_SECONDS"),
            sweep=getattr(settings, f"{prefix}_SWEEP_SECONDS"),
        )


@dataclass(frozen=True)
class Kind:
    name: str
    # The worker's turn, after the claim: what `send` works on (for mail, the user), or None
    # when the delivery is no longer wanted (it is then discarded unsent).
    wanted: Callable[[Delivery], Any | None]
    # Send it, with delivery_id as the idempotency key; any exception is a failed attempt.
    send: Callable[[Delivery, Any], None]
    # Called once, when the delivery is marked failed (never sent by give_up_at).
    on_give_up: Callable[[Delivery], None]
    # Read at each use, so that settings changed at run time (tests) apply.
    policy: Callable[[], Policy]


_KINDS: dict[str, Kind] = {}


class UnknownKind(LookupError):
    """A row of a kind no app registered (the app that queued it is not installed)."""


def register_kind(
    name: str,
    *,
    wanted: Callable[[Delivery], Any | None],
    send: Callable[[Delivery, Any], None],
    on_give_up: Callable[[Delivery], None],
    policy: Callable[[], Policy],
) -> Kind:
    """Register (or, registered again by the same app, replace) the kind `name`."""
    kind = Kind(name=name, wanted=wanted, send=send, on_give_up=on_give_up, policy=policy)
    _KINDS[name] = kind
    return kind


def unregister_kind(name: str) -> None:
    """Forget the kind `name` (its rows then wait, unsent, until it is registered again)."""
    _KINDS.pop(name, None)


def kind_get(name: str) -> Kind:
    try:
        return _KINDS[name]
    except KeyError:
        raise UnknownKind(f"no delivery kind {name!r} is registered") from None


def kinds() -> list[Kind]:
    return list(_KINDS.values())
