"""A kept connection is checked before a request uses it, unless it ran a query moments ago
(authsvc/db_backends/postgresql): PostgreSQL's connections, which a server can end while they sit idle."""

import io
import json
import sys
import time
import uuid

import pytest
from django.db import connection, connections

from authsvc.wsgi import application
from tests.stores import STORE

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(STORE != "postgresql", reason="SQLite has no server to end a connection; the MongoDB backend has no health check"),
]


def through_wsgi(path: str, headers: dict[str, str]) -> tuple[int, dict]:
    """One GET through Django's WSGI handler, whose request signals the test client leaves out."""
    environ = {
        "REQUEST_METHOD": "GET", "PATH_INFO": path, "SCRIPT_NAME": "", "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "127.0.0.1",
        "wsgi.input": io.BytesIO(b""), "wsgi.errors": sys.stderr, "wsgi.url_scheme": "http", "wsgi.version": (1, 0),
        "wsgi.multithread": False, "wsgi.multiprocess": False, "wsgi.run_once": False, **headers,
    }
    status: list[str] = []
    result = application(environ, lambda line, _headers, exc_info=None: status.append(line))
    try:
        body = b"".join(result)
    finally:
        result.close()  # request_finished, as a WSGI server sends it
    return int(status[0].split()[0]), json.loads(body)


def end_from_the_server(backend_pid: int) -> None:
    """What an operator's pg_terminate_backend does: the server ends the session; wait until it is gone."""
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [backend_pid])
            for _ in range(200):
                cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [backend_pid])
                if cursor.fetchone()[0] == 0:
                    return
                time.sleep(0.01)
        pytest.fail(f"backend {backend_pid} still there")
    finally:
        other.close()


@pytest.mark.parametrize(
    ("idle_seconds", "statuses"),
    [
        (0, [404]),  # checked before every request: the dead connection is replaced first
        (3600, [503, 404]),  # used moments ago, so not checked: one 503, then a new connection
    ],
    ids=["idle-longer-than-the-limit", "used-within-the-limit"],
)
def test_a_connection_the_server_ended_is_replaced_before_or_after_one_request(tenant, settings, idle_seconds, statuses):
    """Idle past the limit, a dropped connection costs no request; within it, one 503 (JSON), then it works."""
    settings.AUTHSVC_DB_HEALTH_CHECK_IDLE_SECONDS = idle_seconds
    path, headers = tenant.url(f"users/{uuid.uuid4()}"), {"HTTP_AUTHORIZATION": f"Bearer {tenant.access_key}"}
    assert through_wsgi(path, headers)[0] == 404
    assert connection.connection is not None, "the connection is kept across requests"
    end_from_the_server(connection.connection.info.backend_pid)

    answers = [through_wsgi(path, headers) for _ in statuses]

    assert [status for status, _ in answers] == statuses
    assert [body["error"] for _, body in answers] == ["service_unavailable" if s == 503 else "not_found" for s in statuses]
