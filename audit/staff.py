"""Refused staff logins, from Django's and Axes' signals into the event catalog (audit.events)."""

from axes.signals import user_locked_out
from django.contrib.auth import signals as staff_signals

from audit.events import StaffLoginFailed
from core.events import publish
from core.request_meta import request_meta

# Staff names are short; anything longer is more likely a password typed into the wrong box.
STAFF_NAME_KEPT = 150


def _publish_refused(reason: str, request, username) -> None:
    """A refused staff login: the name tried and where from, never the password."""
    meta = request_meta(request, key_is_valid=False) if request is not None else None
    publish(StaffLoginFailed(reason=reason, request_meta=meta, username=str(username or "")[:STAFF_NAME_KEPT]))


def staff_login_failed(sender, credentials, request=None, **extra):
    # A login refused for a lockout checked no password, so it is no invalid_credentials: Axes
    # marks such a request locked without counting a failure, and staff_locked_out publishes it.
    if getattr(request, "axes_locked_out", False) and getattr(request, "axes_failures_since_start", None) is None:
        return
    _publish_refused("invalid_credentials", request, (credentials or {}).get("username"))


def staff_locked_out(sender, request=None, username=None, ip_address=None, **extra):
    _publish_refused("locked_out", request, username)


def connect() -> None:
    staff_signals.user_login_failed.connect(staff_login_failed, dispatch_uid="audit.staff_login_failed")
    user_locked_out.connect(staff_locked_out, dispatch_uid="audit.staff_locked_out")
