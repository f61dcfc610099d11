"""Django's PostgreSQL backend, whose connection health check is skipped for a connection used moments ago.

With connections kept across requests (AUTHSVC_DB_CONN_MAX_AGE), Django checks a request's connection
with a round trip (`SELECT 1`) before its first query (CONN_HEALTH_CHECKS), so that one the server
dropped while it sat idle is replaced instead of failing the request. On a busy worker that connection
ran a query milliseconds ago, and the check costs more than it looks: after a login's bcrypt check the
server process has gone idle, and the check is the round trip that wakes it (measured at 12 rounds:
~0.5 ms of a request, ~1 ms of a login with TOTP's two calls).

So a connection whose last query began less than AUTHSVC_DB_HEALTH_CHECK_IDLE_SECONDS ago is not
checked; one idle longer is, as Django would. What that gives up: a connection the server ends within
that window (`pg_terminate_backend`; a restart takes longer) fails the one request that uses it next
with a 503, and Django closes it at that request's end (`errors_occurred`), so the next request connects
anew. 0 checks before every request.

Decided here, where Django decides, rather than in a request_started handler or a middleware: a handler
runs in the order handlers were connected (Django's test client connects its own again, last), and a
middleware is two more frames under every request, which a body nested 900 levels deep needs for its
parse.
"""

import time

from django.conf import settings
from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    last_used: float | None = None  # time.monotonic() when the current connection's last cursor was made

    def close_if_health_check_failed(self) -> None:
        idle_limit = settings.AUTHSVC_DB_HEALTH_CHECK_IDLE_SECONDS
        if self.connection is not None and self.last_used is not None and time.monotonic() - self.last_used < idle_limit:
            self.health_check_done = True
        super().close_if_health_check_failed()

    def _cursor(self, name=None):
        cursor = super()._cursor(name)
        self.last_used = time.monotonic()
        return cursor

    def connect(self) -> None:
        self.last_used = None
        super().connect()
