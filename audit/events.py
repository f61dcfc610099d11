"""Staff events: what staff do that is not a client's or a user's event.

A refused staff login is decided by Django's auth (and Axes' lockout), which announce it with
their own signals: audit.staff relays those into this event, the source we can publish from.
Staff actions on clients, keys and users are the tenants and accounts events themselves
(`request_meta` says where they came from).
"""

from dataclasses import dataclass

from core.events import Event, Failure


@dataclass(frozen=True, kw_only=True)
class StaffLoginFailed(Failure, name="staff.login_failed"):
    """A staff login to the admin was refused: invalid_credentials, or locked_out (no password checked)."""

    username: str  # the name tried, cut short: a long one is more likely a password typed in the wrong box


@dataclass(frozen=True, kw_only=True)
class AuditPurged(Event, name="audit.purged"):
    """Audit records written before `before` were deleted (`deleted`); recorded after the purge, so it survives it."""

    before: str
    deleted: int
