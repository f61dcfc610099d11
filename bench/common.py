"""What every benchmark step shares: the environment of a run, stores, a WSGI caller, statistics.

Each figure runs in processes of its own, started by `bench/run.py` with the environment
built here, so that settings (read once at import) never leak between stores or between
our service and the peer. A worker talks to its parent in JSON lines on a private pipe
(`Channel`), because Django and its logging may print to stdout.
"""

import io
import json
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

STORES = ("sqlite", "mongodb", "postgresql")

# Lifted so that a benchmark's tight loops measure the limiter's work, never its refusals.
UNLIMITED_RATES = {
    "AUTHSVC_RATE_ACCESS_KEY": "100000000/m",
    "AUTHSVC_RATE_LOGIN_IP": "100000000/m",
    "AUTHSVC_RATE_LOGIN_EMAIL": "100000000/m",
    "AUTHSVC_RATE_SIGNUP_IP": "100000000/m",
    "AUTHSVC_REGISTRATION_RATE": "100000000/m",
    "AUTHSVC_RATE_MAIL_CLIENT": "100000000/m",
    "AUTHSVC_RATE_MAIL_EMAIL": "100000000/m",
    "AUTHSVC_RATE_MFA_USER": "100000000/m",
    "AUTHSVC_RATE_MFA_IP": "100000000/m",
    "AUTHSVC_RATE_TRANSFER_CLIENT": "100000000/m",
    "AUTHSVC_OPEN_REGISTRATION": "1",
}


def quick() -> bool:
    return os.environ.get("BENCH_QUICK", "") not in ("", "0")


def full() -> bool:
    return os.environ.get("BENCH_FULL", "") not in ("", "0")


def store_label(store: str, database_url: str) -> str:
    if store == "sqlite":
        return "SQLite (file)"
    if store == "postgresql":
        return "PostgreSQL (POSTGRES_URL)" if os.environ.get("POSTGRES_URL") else "PostgreSQL (local cluster, durability off)"
    if os.environ.get("MONGODB_URI"):
        return "MongoDB (MONGODB_URI)"
    return "MongoDB wire protocol (SecantusDB, in-memory)"


def database_url(store: str, server_uri: str | None, scratch: Path, name: str) -> str:
    """A database of its own for one measured process, on the store's server (none for SQLite)."""
    from tests.stores import create_postgres_database, with_database

    if store == "mongodb":
        return with_database(server_uri, name)
    if store == "postgresql":
        return create_postgres_database(server_uri, f"{name}_{os.getpid()}")
    return f"sqlite:///{scratch / (name + '.sqlite3')}"


def base_env(*, scratch: Path, database: str, redis_url: str, settings_module: str = "authsvc.settings", **extra: str) -> dict:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE=settings_module,
        DJANGO_SECRET_KEY="bench-secret-key-not-for-production-0123456789abcdef",
        DJANGO_DEBUG="0",
        # DEBUG off needs one; no benchmark follows a link or checks `iss`.
        AUTHSVC_PUBLIC_URL="http://127.0.0.1:8000",
        AUTHSVC_VAR_DIR=str(scratch / "var"),
        AUTHSVC_JWT_PRIVATE_KEY_FILE="",
        AUTHSVC_LOG_LEVEL="WARNING",
        # DEBUG off derives no sealing key; figure 1b seals TOTP secrets. A fixed key, for benchmarks only.
        AUTHSVC_SEALING_KEYS="YmVuY2gtc2VhbGluZy1rZXktbm90LWZvci1wcm9kdWM=",
        DATABASE_URL=database,
        REDIS_URL=redis_url,
        PYTHONPATH=str(ROOT),
        PYTHONDONTWRITEBYTECODE="1",
        **UNLIMITED_RATES,
    )
    env.update(extra)
    return env


# --- parent <-> worker protocol ----------------------------------------------------------


class Channel:
    """JSON lines: the worker's commands come on stdin, its answers go on a dup of the real stdout."""

    def __init__(self) -> None:
        self.out = os.fdopen(os.dup(1), "w", buffering=1)
        os.dup2(2, 1)  # anything else printed to stdout goes to stderr
        sys.stdout = sys.stderr

    def send(self, message: dict) -> None:
        self.out.write(json.dumps(message) + "\n")

    def serve(self, handlers: dict[str, Callable[..., dict]]) -> None:
        self.send({"ready": True})
        for line in sys.stdin:
            command = json.loads(line)
            if command["op"] == "quit":
                return
            self.send(handlers[command["op"]](**command.get("args", {})))


class Worker:
    """A worker process seen from the parent."""

    def __init__(self, module: str, env: dict, *, name: str):
        self.name = name
        self.process = subprocess.Popen(
            [sys.executable, "-m", module],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        self._read()  # {"ready": true}

    def _read(self) -> dict:
        line = self.process.stdout.readline()
        if not line:
            code = self.process.wait(timeout=30)
            raise RuntimeError(f"benchmark worker {self.name} exited with code {code}")
        return json.loads(line)

    def call(self, command: str, /, **args) -> dict:
        self.process.stdin.write(json.dumps({"op": command, "args": args}) + "\n")
        self.process.stdin.flush()
        return self._read()

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                self.process.stdin.write(json.dumps({"op": "quit"}) + "\n")
                self.process.stdin.close()
                self.process.wait(timeout=30)
            except (BrokenPipeError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# --- in-process WSGI calls ---------------------------------------------------------------


def wsgi_call(application, method: str, path: str, body: dict | None = None, headers: dict | None = None) -> tuple[int, bytes]:
    """One request through the whole WSGI stack (middleware, URL routing, DRF), no sockets."""
    data = json.dumps(body).encode() if body is not None else b""
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(data)),
        "wsgi.input": io.BytesIO(data),
        "wsgi.errors": sys.stderr,
        "wsgi.url_scheme": "http",
        "wsgi.version": (1, 0),
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    for name, value in (headers or {}).items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    status: list[str] = []

    def start_response(line, _headers, exc_info=None):
        status.append(line)

    result = application(environ, start_response)
    try:
        payload = b"".join(result)
    finally:
        if hasattr(result, "close"):
            result.close()
    return int(status[0].split()[0]), payload


def expect(status: int, payload: bytes, wanted: int) -> dict:
    if status != wanted:
        raise RuntimeError(f"expected {wanted}, got {status}: {payload[:300]!r}")
    return json.loads(payload) if payload else {}


# --- measurements ------------------------------------------------------------------------


def rss_bytes() -> int:
    """Resident set size of this process now (not the peak), from /proc."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def spread(values: list[float], digits: int = 3) -> dict:
    """Median with min and max: the one summary every figure uses."""
    return {
        "median": round(statistics.median(values), digits),
        "min": round(min(values), digits),
        "max": round(max(values), digits),
        "n": len(values),
    }


def p50(values: list[float]) -> float:
    return statistics.median(values)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def ms(seconds: float, digits: int = 3) -> float:
    return round(seconds * 1000, digits)


def seeded_random() -> random.Random:
    return random.Random(int(os.environ.get("BENCH_SEED", "20260")))


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def merged(previous: dict, partial: dict) -> dict:
    """BENCH_MERGE=1: a partial run's figures replace those of the previous results, which keep the
    rest; the report names each merged run (figures, stores, when, commit) under the full run's header."""
    commit = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    for store, data in partial["stores"].items():
        kept = previous["stores"].setdefault(store, {"label": data["label"], "seconds": {}})
        kept["seconds"].update(data["seconds"])
        kept.update({key: value for key, value in data.items() if key not in ("label", "seconds")})
    previous.setdefault("merged_runs", []).append(
        {
            "figures": sorted({key for data in partial["stores"].values() for key in data} - {"label", "seconds"}),
            "stores": list(partial["stores"]),
            "started_at": partial["started_at"],
            "seconds": partial["seconds"],
            "commit": commit,
            "load_average_at_start": partial["machine"]["load_average_at_start"],
        }
    )
    return previous
