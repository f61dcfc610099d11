"""Django's connection health check, skipped for a connection a request finished with moments ago.

With connections kept across requests (AUTHSVC_DB_CONN_MAX_AGE), Django checks a request's connection
with a round trip (`SELECT 1` on PostgreSQL) before its first query (CONN_HEALTH_CHECKS), so that one
the server dropped while it sat idle is replaced instead of failing the request. On a busy worker that
connection was used a few milliseconds ago, and the check costs more than it looks: after a login's
bcrypt check the server process has gone idle, and the check is the round trip that wakes it (measured
on PostgreSQL at 12 rounds: ~0.5 ms a request, ~1 ms of a login with TOTP's two calls).

So a connection that a request on this thread finished with less than
AUTHSVC_DB_HEALTH_CHECK_IDLE_SECONDS ago is not checked; one idle longer is, as Django would. What
that gives up: a connection the server ends within that window (`pg_terminate_backend`; a restart takes
longer) fails the one request that uses it next with a 503, and Django closes it at that request's end
(`errors_occurred`), so the next request connects anew. 0 checks before every request.
"""

import threading
import time

from django.conf import settings
from django.db import connections

# alias -> time.monotonic() when the last request on this thread finished with that alias's connection.
# Connections are per thread, and so is this.
_finished = threading.local()


def _finished_at() -> dict[str, float]:
    if not hasattr(_finished, "at"):
        _finished.at = {}
    return _finished.at


class BusyConnectionsUncheckedMiddleware:
    """First in MIDDLEWARE: Django's request_started handler (close_old_connections) has just asked for a
    check of every kept connection; this takes the request back for those used moments ago. A middleware,
    not a second request_started handler, because handlers run in the order they were connected, and
    Django's is connected again (last) each time its test client has handled a request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        _spare_recent_connections()
        try:
            return self.get_response(request)
        finally:
            _note_connections_used()


def _spare_recent_connections() -> None:
    idle_limit = settings.AUTHSVC_DB_HEALTH_CHECK_IDLE_SECONDS
    if not idle_limit:
        return
    now, finished = time.monotonic(), _finished_at()
    for connection in connections.all(initialized_only=True):
        ended = finished.get(connection.alias)
        if connection.connection is not None and ended is not None and now - ended < idle_limit:
            connection.health_check_done = True


def _note_connections_used() -> None:
    """A connection that failed is closed at request_finished, after this: the next request finds it closed
    (None) and opens a new one, which Django counts as checked."""
    now, finished = time.monotonic(), _finished_at()
    for connection in connections.all(initialized_only=True):
        if connection.connection is not None:
            finished[connection.alias] = now
        else:
            finished.pop(connection.alias, None)
