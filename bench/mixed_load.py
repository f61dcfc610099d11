"""Figure 5, mixed load: do cheap calls wait behind bcrypt? One server configuration at a time.

    .venv/bin/python bench/mixed_load.py [--store sqlite|mongodb] [--config recommended|sync] [--seconds 20]

It starts gunicorn in the given configuration (`recommended` = gunicorn.conf.py, the README's
production command; `sync` = gunicorn's default worker class with as many processes) on a
free loopback port, with DEBUG off, Redis, and bcrypt at the default 12 rounds. Then, for a
bounded time:
- login threads log in back to back, more of them than there are cores, so that bcrypt
  saturates every core (the worst case for everyone else);
- cheap threads each hold a token family and loop verify, refresh, verify at a fixed pace,
  logging out and starting a new family (a login, counted with the others) every few rounds.
It reports per-endpoint p50/p99 and requests/s, the login throughput against the bcrypt floor
(cores / one `check_password` at 12 rounds, measured in this run), 5xx, and whether
`audit_logs` holds one record per audited request. Traffic goes to 127.0.0.1 only.
"""

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.loadtest import Api, Recorder, count_audit_records, start_gunicorn  # noqa: E402
from tests.stores import free_port, start_redis, start_secantus, stop_all, with_database  # noqa: E402

AUDITED = {"register", "signup", "login", "relogin", "refresh", "logout"}
ROUNDS = 12
GOAL_CHEAP_P99_MS = 50.0
GOAL_LOGIN_THROUGHPUT = 0.9
REFRESHES_PER_FAMILY = 8


def bcrypt_check_seconds(env: dict, samples: int = 7) -> float:
    """p50 of one check_password at the rounds the server uses, in a fresh process of this run."""
    import subprocess

    code = (
        "import django, time, statistics; django.setup()\n"
        "from django.contrib.auth.hashers import make_password, check_password\n"
        "h = make_password('correct horse battery'); check_password('x', h)\n"
        f"t = []\nfor _ in range({samples}):\n"
        "    s = time.perf_counter(); check_password('correct horse battery', h); t.append(time.perf_counter() - s)\n"
        "print(statistics.median(t))\n"
    )
    output = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return float(output.stdout.strip().splitlines()[-1])


def server_env(store: str, scratch: Path) -> dict:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="authsvc.settings",
        DJANGO_SECRET_KEY="mixed-load-secret-key-not-for-production-0123456789",
        DJANGO_DEBUG="0",
        # DEBUG off needs one; the load follows no link and checks no `iss`.
        AUTHSVC_PUBLIC_URL="http://127.0.0.1:8000",
        AUTHSVC_VAR_DIR=str(scratch / "var"),
        AUTHSVC_LOG_LEVEL="WARNING",
        AUTHSVC_BCRYPT_ROUNDS=str(ROUNDS),
        AUTHSVC_OPEN_REGISTRATION="1",
        # One client from a few addresses: limits would refuse the load, not measure it.
        AUTHSVC_RATE_ACCESS_KEY="100000/m",
        AUTHSVC_RATE_LOGIN_IP="100000/m",
        AUTHSVC_RATE_SIGNUP_IP="100000/m",
        AUTHSVC_RATE_LOGIN_EMAIL="100000/m",
    )
    if store == "mongodb":
        env["DATABASE_URL"] = with_database(os.environ.get("MONGODB_URI") or start_secantus(), f"authsvc_mixed_{os.getpid()}")
    elif store == "postgresql":
        from tests.stores import start_postgres  # noqa: PLC0415 - only where PostgreSQL is measured

        env["DATABASE_URL"] = os.environ.get("POSTGRES_URL") or start_postgres()
    else:
        env["DATABASE_URL"] = f"sqlite:///{scratch / 'mixed.sqlite3'}"
    env["REDIS_URL"] = os.environ.get("REDIS_URL") or start_redis()
    return env


class Load:
    """The two kinds of simulated traffic, until `deadline`."""

    def __init__(self, api: Api, base: str, key: str, deadline: float, cheap_pause: float):
        self.api, self.base, self.key = api, base, key
        self.deadline = deadline
        self.cheap_pause = cheap_pause
        self.logins = 0
        self.lock = threading.Lock()

    def post(self, endpoint: str, path: str, body: dict) -> tuple[int, dict]:
        return self.api.post(endpoint, self.base + path, body, self.key)

    def login_loop(self, email: str, password: str) -> None:
        while time.perf_counter() < self.deadline:
            status, _ = self.post("login", "login", {"email": email, "password": password})
            if status == 200:
                self._count_login()

    def _count_login(self) -> None:
        with self.lock:
            self.logins += 1

    def cheap_loop(self, email: str, password: str) -> None:
        tokens = None
        rounds = 0
        while time.perf_counter() < self.deadline:
            if tokens is None:
                # A new family costs a bcrypt check; it is recorded apart from the login figure.
                status, tokens = self.post("relogin", "login", {"email": email, "password": password})
                if status != 200:
                    tokens = None
                    continue
                self._count_login()
                rounds = 0
            self.post("verify", "token/verify", {"token": tokens["access_token"]})
            self._pause()
            status, rotated = self.post("refresh", "token/refresh", {"refresh_token": tokens["refresh_token"]})
            if status != 200:
                tokens = None
                continue
            tokens = rotated
            self._pause()
            self.post("verify", "token/verify", {"token": tokens["access_token"]})
            self._pause()
            rounds += 1
            if rounds >= REFRESHES_PER_FAMILY:
                self.post("logout", "logout", {"refresh_token": tokens["refresh_token"]})
                tokens = None

    def _pause(self) -> None:
        time.sleep(self.cheap_pause)


def run(store: str, config: str, seconds: float, login_threads: int, cheap_threads: int, cheap_pause: float) -> dict:
    scratch = Path(tempfile.mkdtemp(prefix="authsvc-mixed-"))
    env = server_env(store, scratch)
    import subprocess

    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    check_seconds = bcrypt_check_seconds(env)
    port = free_port()
    server = start_gunicorn(env, port, config)
    recorder = Recorder()
    api = Api(port, recorder)
    try:
        status, client = api.post("register", "/api/v1/clients/register", {"client_name": "Mixed load", "industry": "SaaS"})
        if status != 201:
            raise RuntimeError(f"registration failed: {status} {client}")
        base, key = f"/api/v1/{client['client_id']}/", client["access_key"]
        users = [(f"mixed-{index}@example.com", f"Mixed load passphrase {index}") for index in range(login_threads + cheap_threads)]
        signups = [threading.Thread(target=api.post, args=("signup", base + "signup", {"email": e, "password": p}, key)) for e, p in users]
        for thread in signups:
            thread.start()
        for thread in signups:
            thread.join()
        load = Load(api, base, key, time.perf_counter() + seconds, cheap_pause)
        started = time.perf_counter()
        threads = [threading.Thread(target=load.login_loop, args=users[i]) for i in range(login_threads)]
        threads += [threading.Thread(target=load.cheap_loop, args=users[login_threads + i]) for i in range(cheap_threads)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        audit_records = count_audit_records(env, client["client_id"])
    finally:
        server.terminate()
        server.wait(timeout=30)
    return summarise(recorder, store, config, elapsed, check_seconds, audit_records, load.logins)


def summarise(recorder: Recorder, store: str, config: str, elapsed: float, check_seconds: float, audit_records: int, logins: int) -> dict:
    cores = os.cpu_count() or 1
    endpoints = recorder.by_endpoint(elapsed, leave_out=("register", "signup"))
    statuses = recorder.status_counts()
    floor = cores / check_seconds
    login_ratio = round(logins / elapsed / floor, 3)
    audited = sum(sum(recorder.statuses[name].values()) for name in AUDITED)
    cheap_p99 = {name: endpoints[name]["p99_ms"] for name in ("verify", "refresh") if name in endpoints}
    report = {
        "store": store,
        "config": config,
        "seconds": round(elapsed, 1),
        "bcrypt_rounds": ROUNDS,
        "bcrypt_check_ms": round(check_seconds * 1000, 1),
        "login_floor_per_second": round(floor, 2),
        "login_per_second": round(logins / elapsed, 2),
        "login_throughput_ratio": login_ratio,
        "requests_per_second": round(sum(e["requests"] for e in endpoints.values()) / elapsed, 1),
        "endpoints": endpoints,
        "server_errors": sum(count for status, count in statuses.items() if status >= 500),
        "audited_requests": audited,
        "audit_records": audit_records,
    }
    report["audit_complete"] = audit_records == audited
    report["goal"] = {
        "cheap_p99_max_ms": GOAL_CHEAP_P99_MS,
        "login_throughput_min": GOAL_LOGIN_THROUGHPUT,
        "cheap_met": bool(cheap_p99) and all(value <= GOAL_CHEAP_P99_MS for value in cheap_p99.values()),
        "login_met": login_ratio >= GOAL_LOGIN_THROUGHPUT,
        "errors_met": report["server_errors"] == 0 and report["audit_complete"],
    }
    report["goal"]["met"] = all(report["goal"][name] for name in ("cheap_met", "login_met", "errors_met"))
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", choices=["sqlite", "mongodb", "postgresql"], default="sqlite")
    parser.add_argument("--config", choices=["recommended", "sync"], default="recommended")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--login-threads", type=int, default=2 * (os.cpu_count() or 1))
    parser.add_argument("--cheap-threads", type=int, default=3)
    parser.add_argument("--cheap-pause", type=float, default=0.1, help="seconds between one cheap thread's calls")
    parser.add_argument("--json", type=Path, help="also write the report here")
    args = parser.parse_args()
    try:
        report = run(args.store, args.config, args.seconds, args.login_threads, args.cheap_threads, args.cheap_pause)
    finally:
        stop_all()
    print(json.dumps(report, indent=2))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
