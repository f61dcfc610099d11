"""HTTP load test: the production server configuration (gunicorn.conf.py) on loopback, a bounded
mixed workload from this process, bcrypt at the default 12 rounds.

    .venv/bin/python bench/loadtest.py [--store sqlite|mongodb] [--users 40] [--rounds 3] [--threads 8]

It starts its own servers (gunicorn, and SecantusDB for `--store mongodb` unless MONGODB_URI
is set) on free loopback ports with a scratch database, registers one client, then runs, for
each simulated user: signup, then `rounds` × (login, verify, refresh, verify), then logout.
It reports requests and errors by status, p50/p99 latency per endpoint and overall, and
checks that no 5xx occurred and that `audit_logs` holds exactly one record per audited
request. Exit code 0 only when both checks hold. Traffic goes to 127.0.0.1 only, and every
loop is bounded by the arguments.
"""

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.stores import free_port, start_redis, start_secantus, stop_all, with_database  # noqa: E402

# Endpoints that leave exactly one audit record per call (token/verify success leaves none).
AUDITED = {"register", "signup", "login", "refresh", "logout"}


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.statuses: dict[str, Counter] = defaultdict(Counter)

    def add(self, endpoint: str, status: int, seconds: float) -> None:
        with self.lock:
            self.latencies[endpoint].append(seconds)
            self.statuses[endpoint][status] += 1

    def by_endpoint(self, elapsed: float, leave_out: tuple[str, ...] = ()) -> dict:
        """Requests, requests/s, p50/p99 ms and statuses of each endpoint over `elapsed` seconds."""
        return {
            name: {
                "requests": len(values),
                "per_second": round(len(values) / elapsed, 1),
                "p50_ms": round(statistics.median(values) * 1000, 2),
                "p99_ms": round(percentile(values, 0.99) * 1000, 2),
                "statuses": dict(self.statuses[name]),
            }
            for name, values in sorted(self.latencies.items())
            if name not in leave_out
        }

    def status_counts(self) -> Counter:
        statuses = Counter()
        for counter in self.statuses.values():
            statuses.update(counter)
        return statuses


class Api:
    def __init__(self, port: int, recorder: Recorder):
        self.port = port
        self.recorder = recorder
        self.local = threading.local()

    def _connection(self) -> http.client.HTTPConnection:
        if not hasattr(self.local, "connection"):
            self.local.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        return self.local.connection

    def post(self, endpoint: str, path: str, body: dict, key: str | None = None) -> tuple[int, dict]:
        headers = {"Content-Type": "application/json", "X-End-User-IP": f"10.0.{threading.get_ident() % 250}.1"}
        if key:
            headers["Authorization"] = f"Bearer {key}"
        started = time.perf_counter()
        for attempt in range(2):
            connection = self._connection()
            try:
                connection.request("POST", path, body=json.dumps(body), headers=headers)
                response = connection.getresponse()
                payload = response.read()
                break
            except (http.client.HTTPException, ConnectionError):
                connection.close()
                del self.local.connection
                if attempt:
                    raise
        self.recorder.add(endpoint, response.status, time.perf_counter() - started)
        return response.status, (json.loads(payload) if payload else {})


def user_journey(api: Api, base: str, key: str, index: int, rounds: int) -> None:
    email = f"load-user-{index}@example.com"
    password = f"Load-test passphrase {index}"
    status, _ = api.post("signup", f"{base}signup", {"email": email, "password": password}, key)
    if status != 201:
        return
    refresh = None
    for _ in range(rounds):
        status, tokens = api.post("login", f"{base}login", {"email": email, "password": password}, key)
        if status != 200:
            continue
        api.post("verify", f"{base}token/verify", {"token": tokens["access_token"]}, key)
        status, rotated = api.post("refresh", f"{base}token/refresh", {"refresh_token": tokens["refresh_token"]}, key)
        if status == 200:
            api.post("verify", f"{base}token/verify", {"token": rotated["access_token"]}, key)
            refresh = rotated["refresh_token"]
    if refresh:
        api.post("logout", f"{base}logout", {"refresh_token": refresh}, key)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


# The server configurations the figures compare. "recommended" is the production command of
# the README (gunicorn.conf.py); "sync" is gunicorn's default worker class, one request per
# process at a time, with as many processes as the recommended configuration.
SERVER_CONFIGS = ("recommended", "sync")


def gunicorn_command(config: str, port: int, extra: tuple[str, ...] = ()) -> list[str]:
    access_log = "-" if os.environ.get("LOADTEST_ACCESS_LOG") else "/dev/null"
    common = ["--access-logfile", access_log, "--log-level", "warning", "-b", f"127.0.0.1:{port}", *extra]
    if config == "recommended":
        return [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), *common, "authsvc.wsgi"]
    if config == "sync":
        # gunicorn reads ./gunicorn.conf.py on its own, and its `threads = 8` would turn `-k sync`
        # into gthread: `--threads 1` keeps this the plain sync worker it claims to be.
        sync = ["-w", str(os.cpu_count() or 2), "-k", "sync", "--threads", "1"]
        return [sys.executable, "-m", "gunicorn", *sync, *common, "authsvc.wsgi"]
    raise ValueError(f"unknown server configuration {config!r}")


def start_gunicorn(env: dict, port: int, config: str = "recommended", extra: tuple[str, ...] = ()) -> subprocess.Popen:
    process = subprocess.Popen(gunicorn_command(config, port, extra), cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=sys.stderr)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise RuntimeError("gunicorn did not become healthy within 60 s")


def count_audit_records(env: dict, client_id: str) -> int:
    code = (
        "import django; django.setup(); from audit.models import AuditLog; "
        f"print(AuditLog.objects.filter(client_id='{client_id}').count() + AuditLog.objects.filter(client_id=None, action='client_register').count())"
    )
    output = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return int(output.stdout.strip().splitlines()[-1])


def run(store: str, users: int, rounds: int, threads: int) -> dict:
    scratch = Path(tempfile.mkdtemp(prefix="authsvc-load-"))
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="authsvc.settings",
        DJANGO_SECRET_KEY="load-test-secret-key-not-for-production-0123456789",
        DJANGO_DEBUG="0",
        # DEBUG off needs one; the load follows no link and checks no `iss`.
        AUTHSVC_PUBLIC_URL="http://127.0.0.1:8000",
        AUTHSVC_VAR_DIR=str(scratch / "var"),
        AUTHSVC_LOG_LEVEL="WARNING",
        AUTHSVC_BCRYPT_ROUNDS=env.get("AUTHSVC_BCRYPT_ROUNDS", "12"),
        # The workload is one client from a handful of IPs: lift the per-IP/email limits out of the way.
        AUTHSVC_RATE_ACCESS_KEY="100000/m",
        AUTHSVC_RATE_LOGIN_IP="100000/m",
        AUTHSVC_RATE_SIGNUP_IP="100000/m",
        AUTHSVC_RATE_LOGIN_EMAIL="1000/m",
        AUTHSVC_RATE_MAIL_CLIENT="100000/m",
        AUTHSVC_OPEN_REGISTRATION="1",
    )
    if store == "mongodb":
        env["DATABASE_URL"] = with_database(os.environ.get("MONGODB_URI") or start_secantus(), "authsvc_load")
    elif store == "postgresql":
        from tests.stores import start_postgres  # noqa: PLC0415 - only where PostgreSQL is measured

        env["DATABASE_URL"] = os.environ.get("POSTGRES_URL") or start_postgres()
    else:
        env["DATABASE_URL"] = f"sqlite:///{scratch / 'load.sqlite3'}"
    env["REDIS_URL"] = os.environ.get("REDIS_URL") or start_redis()
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)

    port = free_port()
    server = start_gunicorn(env, port)
    recorder = Recorder()
    api = Api(port, recorder)
    try:
        status, client = api.post("register", "/api/v1/clients/register", {"client_name": "Load test", "industry": "SaaS"})
        if status != 201:
            raise RuntimeError(f"registration failed: {status} {client}")
        base = f"/api/v1/{client['client_id']}/"
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=threads) as pool:
            for future in [pool.submit(user_journey, api, base, client["access_key"], index, rounds) for index in range(users)]:
                future.result()
        elapsed = time.perf_counter() - started
        audit_records = count_audit_records(env, client["client_id"])
    finally:
        server.terminate()
        server.wait(timeout=30)
        stop_all()

    all_latencies = [value for values in recorder.latencies.values() for value in values]
    statuses = recorder.status_counts()
    audited_requests = sum(sum(recorder.statuses[name].values()) for name in AUDITED)
    report = {
        "store": store,
        "server": "gunicorn.conf.py",
        "workers": os.cpu_count(),
        "bcrypt_rounds": int(env["AUTHSVC_BCRYPT_ROUNDS"]),
        "users": users,
        "rounds": rounds,
        "threads": threads,
        "requests": len(all_latencies),
        "seconds": round(elapsed, 2),
        "requests_per_second": round(len(all_latencies) / elapsed, 1),
        "statuses": dict(sorted(statuses.items())),
        "server_errors": sum(count for status, count in statuses.items() if status >= 500),
        "p50_ms": round(statistics.median(all_latencies) * 1000, 2),
        "p99_ms": round(percentile(all_latencies, 0.99) * 1000, 2),
        "endpoints": recorder.by_endpoint(elapsed),
        "audited_requests": audited_requests,
        "audit_records": audit_records,
    }
    report["audit_complete"] = audit_records == audited_requests
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", choices=["sqlite", "mongodb", "postgresql"], default="sqlite")
    parser.add_argument("--users", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--json", type=Path, help="also write the report here")
    args = parser.parse_args()
    report = run(args.store, args.users, args.rounds, args.threads)
    print(json.dumps(report, indent=2))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    ok = report["server_errors"] == 0 and report["audit_complete"]
    print(f"load test ({args.store}): {'OK' if ok else 'FAILED'}: {report['server_errors']} server errors, "
          f"{report['audit_records']} audit records for {report['audited_requests']} audited requests")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
