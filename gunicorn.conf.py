"""Production server configuration: `.venv/bin/gunicorn -c gunicorn.conf.py authsvc.wsgi`.

Chosen by measurement (bench/README.md, figure 5 "mixed load"): a login spends ~250 ms in
bcrypt, and bcrypt releases the GIL. With sync workers every cheap call (verify, refresh,
logout) queued behind whichever login its worker was hashing, so a verify's p99 was the
length of a hash. Threaded workers let cheap calls run beside the hashes: one process per
core keeps every core busy with bcrypt, and the threads of each process serve the rest.

HOST, PORT and gunicorn's own WEB_CONCURRENCY are read here; anything else is overridden
on the command line (`--threads 16`), which takes precedence over this file.
"""

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


bind = [f"{os.environ.get('HOST', '0.0.0.0')}:{_int('PORT', 8000)}"]

# One process per core: logins are CPU-bound in bcrypt, so more processes than cores only
# add memory and context switches. gunicorn's own WEB_CONCURRENCY overrides it.
workers = _int("WEB_CONCURRENCY", multiprocessing.cpu_count())
worker_class = "gthread"
# Threads per process: enough that a burst of logins (each holding a thread while it hashes)
# leaves threads free for verify and refresh. Connections are per thread (Django), so each
# thread holds one database connection: workers x threads connections in all.
threads = 8

# A request that takes 30 s is stuck, not slow (the slowest call is one bcrypt check).
timeout = 30
graceful_timeout = 30
keepalive = 5

# Recycle workers now and then, at different moments, so that no slow growth in memory
# (caches are bounded, but libraries are not ours) outlives a day of traffic.
max_requests = 20000
max_requests_jitter = max_requests // 10

# Access log to stdout with the path only (%(U)s), never the query string: mailed tokens
# reach our link pages in it, and a log line must not carry a credential. The development
# server's request lines keep to the same rule (authsvc/log_filters.py).
accesslog = "-"
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms "%(a)s"'
errorlog = "-"
loglevel = "info"

# Request line and header bounds below gunicorn's defaults: no call of ours needs more,
# and bodies are capped at 64 KB by Django (413).
limit_request_line = 4094
limit_request_fields = 50
limit_request_field_size = 8190

# gunicorn discards at most 64 KB of a body the application left unread before it reads the
# next request on the connection (gunicorn.http.parser); past that it closes the connection,
# after an answer that said "keep-alive", and a client that reuses it (any pooled HTTP client)
# fails its next request. Bodies are left unread by every refusal answered before the view
# reads them: 413 (too large), 401/403 (key), 429 (registration per address), 400 (not
# JSON). Django never reads a chunked body at all (it reads CONTENT_LENGTH bytes only).
UNREAD_BODY_DRAINED = 64 * 1024


def pre_request(worker, req) -> None:
    """Answer "Connection: close" to a request whose body gunicorn could not discard whole if
    it went unread, so clients open a new connection instead of reusing one about to close."""
    if _body_may_outgrow_drain(req.headers):
        req.force_close()


def _body_may_outgrow_drain(headers: list[tuple[str, str]]) -> bool:
    for name, value in headers:  # gunicorn spells names upper-case and has checked the values
        if name == "TRANSFER-ENCODING":
            return True
        if name == "CONTENT-LENGTH" and int(value) >= UNREAD_BODY_DRAINED:
            return True
    return False


# Django opens database connections lazily, per thread; loading the app before the fork
# would share nothing useful and risk sharing a connection opened at import.
preload_app = False
