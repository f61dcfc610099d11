"""`make bench`: every figure of bench/README.md on SQLite, MongoDB and PostgreSQL, then the reports.

    .venv/bin/python bench/run.py            # about 21 minutes on 2 cores
    BENCH_QUICK=1 .venv/bin/python bench/run.py   # about 10 minutes, fewer samples
    BENCH_FULL=1 ...                         # every tenant size on every store, however long
    BENCH_STORES=sqlite ...                  # one store only
    BENCH_FIGURES=floor BENCH_MERGE=1 ...    # some figures only, merged into the previous latest.*

Writes bench/results/latest.json, latest.md and latest.png. Servers (Redis, SecantusDB
unless MONGODB_URI is set, PostgreSQL, gunicorn for figures 4 to 8) run on loopback ports of this machine
and stop with the run; every loop is bounded by a count or a time budget. Figure 8 (webhooks) also
runs a delivery worker and the receivers on loopback.
"""

import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import http_floor, mail_timing, offline_verification, transfer, webhook_timing  # noqa: E402
from bench.common import (  # noqa: E402
    RESULTS_DIR,
    ROOT,
    STORES,
    Worker,
    base_env,
    database_url,
    full,
    log,
    merged,
    ms,
    p50,
    percentile,
    quick,
    spread,
    store_label,
)
from tests.stores import start_postgres, start_redis, start_secantus, stop_all  # noqa: E402

DEFAULT_ROUNDS = 12
LOW_ROUNDS = 4


class Plan:
    """How much of each figure to run: the default (~21 min), quick (~10 min) or full."""

    def __init__(self) -> None:
        self.quick = quick()
        self.full = full()
        q = self.quick
        # Figure 1: runs of (login, check_password) pairs, interleaved one by one.
        self.login_runs = 3 if q else 5
        self.login_pairs = {DEFAULT_ROUNDS: 3 if q else 5, LOW_ROUNDS: 8 if q else 15}
        # Figure 2: rounds of ours/peer batches, alternating which goes first.
        self.peer_rounds = 3 if q else 15
        self.peer_batch = 15 if q else 40
        # Figure 3.
        self.sizes = [10, 100] if q else [10, 100, 1000, 10000]
        self.sweep = 150 if q else 2000
        self.samples = 4 if q else 45
        self.sample_budget = 8.0 if q else 25.0
        self.provision_budget = 40.0 if q else 300.0
        self.cache_sizes = (100, 1024)
        # Figure 4.
        self.load_users, self.load_rounds, self.load_threads = (8, 1, 4) if q else (40, 3, 8)
        # Figure 5: seconds of mixed load per server configuration.
        self.mixed_seconds = 10.0 if q else 25.0
        # Figure 6: (registered, unknown) request pairs per endpoint, after some to warm up.
        self.mail_warmup, self.mail_pairs = (20, 200) if q else (30, 500)
        # Figure 7: rounds of (healthz, verify) wrk batches of this many seconds each.
        self.floor_rounds, self.floor_seconds = (4, 1.0) if q else (10, 2.0)
        # Figure 8: sign-ups waited for one by one; a batch for the worker's rate; rounds of three logins.
        self.webhook_paced, self.webhook_batch = (20, 60) if q else (100, 300)
        self.webhook_warmup, self.webhook_rounds = (10, 100) if q else (20, 300)
        # Figure 9: users imported (bcrypt hashes, no hashing) and exported.
        self.transfer_users = 2000 if q else 10000
        # Figure 10: rounds of (offline, token/verify over HTTP, online mode) batches of these many calls.
        self.offline_rounds, self.offline_batch, self.offline_http_batch = (3, 500, 50) if q else (7, 2000, 200)
        # BENCH_FIGURES=login,peer picks figures (for a partial run; `make bench` runs all).
        self.figures = set(os.environ.get("BENCH_FIGURES", "login,mfa,peer,scaling,load,mixed,mail,floor,webhooks,import,offline").split(","))

    def sizes_for(self, store: str) -> tuple[list[int], int]:
        """Sizes to provision, and the largest size whose request latency is measured.

        SecantusDB runs `$lookup` stages before a following `$match` (MongoDB moves the
        `$match` first), so each access-key lookup there costs O(clients x keys): a first call
        takes ~0.3 s at 100 clients and tens of seconds at 1,000. By default it stops at
        1,000 clients and measures latency up to 100; BENCH_FULL=1 or MONGODB_URI lifts that.
        """
        if self.full or store != "mongodb" or os.environ.get("MONGODB_URI"):
            return self.sizes, self.sizes[-1]
        return [size for size in self.sizes if size <= 1000], 100

    def transfer_users_for(self, store: str) -> int:
        """Figure 8's users: SecantusDB answers a batch's `$in` of 500 emails by scanning the collection
        (some 13 s a batch at 10,000 users, where MongoDB uses the unique index), so by default it
        imports 2,000; BENCH_FULL=1 or MONGODB_URI the full count."""
        if store == "mongodb" and not (self.full or os.environ.get("MONGODB_URI")):
            return min(self.transfer_users, 2000)
        return self.transfer_users


# --- figure 1 and 2 ------------------------------------------------------------------------


def login_overhead(ours: Worker, plan: Plan) -> dict:
    """p50 of a full login through the WSGI stack over p50 of one check_password, same rounds."""
    figure = {}
    for rounds in (DEFAULT_ROUNDS, LOW_ROUNDS):
        ratios, logins, checks = [], [], []
        for _ in range(plan.login_runs):
            run_logins, run_checks = [], []
            for _ in range(plan.login_pairs[rounds]):
                run_logins += ours.call("login", n=1, rounds=rounds)["latencies"]
                run_checks += ours.call("check_password", n=1, rounds=rounds)["latencies"]
            ratios.append(p50(run_logins) / p50(run_checks))
            logins.append(ms(p50(run_logins)))
            checks.append(ms(p50(run_checks)))
        figure[str(rounds)] = {
            "ratio": spread(ratios),
            "login_p50_ms": spread(logins, 2),
            "check_password_p50_ms": spread(checks, 2),
            "overhead_ms": round(p50(logins) - p50(checks), 2),
        }
        log(f"  login/check_password at {rounds} rounds: {figure[str(rounds)]['ratio']}")
    figure["goal"] = {"rounds": DEFAULT_ROUNDS, "max_ratio": 1.05, "met": figure[str(DEFAULT_ROUNDS)]["ratio"]["median"] <= 1.05}
    return figure


def login_with_totp(ours: Worker, plan: Plan) -> dict:
    """p50 of a whole login with TOTP (the password call, then login/mfa) over p50 of one bcrypt check plus
    p50 of one TOTP check, interleaved one by one as figure 1 is, at the default rounds."""
    ratios, logins, floors = [], [], []
    for _ in range(plan.login_runs):
        run_logins, run_checks, run_totp = [], [], []
        for _ in range(plan.login_pairs[DEFAULT_ROUNDS]):
            run_logins += ours.call("login_totp", n=1, rounds=DEFAULT_ROUNDS)["latencies"]
            run_checks += ours.call("check_password", n=1, rounds=DEFAULT_ROUNDS)["latencies"]
            run_totp += ours.call("totp_check", n=1, rounds=DEFAULT_ROUNDS)["latencies"]
        floor = p50(run_checks) + p50(run_totp)
        ratios.append(p50(run_logins) / floor)
        logins.append(ms(p50(run_logins)))
        floors.append(ms(floor))
    figure = {
        "ratio": spread(ratios),
        "login_totp_p50_ms": spread(logins, 2),
        "bcrypt_plus_totp_p50_ms": spread(floors, 2),
        "overhead_ms": round(p50(logins) - p50(floors), 2),
        "goal": {"rounds": DEFAULT_ROUNDS, "max_ratio": 1.05, "met": p50(ratios) <= 1.05},
    }
    log(f"  login with TOTP / (bcrypt + TOTP check) at {DEFAULT_ROUNDS} rounds: {figure['ratio']}")
    return figure


def throughput(latencies: list[float]) -> float:
    return len(latencies) / sum(latencies)


def against_peer(ours: Worker, peer: Worker, plan: Plan) -> dict:
    """Sequential requests/s of refresh and verify, ours and the peer's, batches interleaved."""
    figure: dict = {}
    for op in ("refresh", "verify"):
        figure[op] = interleaved(ours, peer, op, plan)
        log(f"  {op} ours/peer: {figure[op]['ratio']}")
    # What-if, not the configuration: verify without the per-key rate-limit counter (a Redis
    # round trip per slice of calls), to show how much of the gap to the peer it is.
    figure["verify_without_key_counter"] = interleaved(ours, peer, "verify", plan, count_rate_limits=False)
    log(f"  verify ours/peer without the per-key counter: {figure['verify_without_key_counter']['ratio']}")
    figure["queries"] = {"ours": ours.call("queries"), "peer": peer.call("queries")}
    figure["goal"] = {
        "refresh_min_ratio": 1.0,
        "verify_min_ratio": 0.8,
        "refresh_met": figure["refresh"]["ratio"]["median"] >= 1.0,
        "verify_met": figure["verify"]["ratio"]["median"] >= 0.8,
    }
    return figure


def interleaved(ours: Worker, peer: Worker, op: str, plan: Plan, **ours_args) -> dict:
    ratios, ours_rps, peer_rps, ours_p50, peer_p50 = [], [], [], [], []
    for round_number in range(plan.peer_rounds):
        order = (ours, peer) if round_number % 2 == 0 else (peer, ours)
        batches = {
            worker.name: worker.call(op, n=plan.peer_batch, **(ours_args if worker is ours else {}))["latencies"]
            for worker in order
        }
        ours_rps.append(throughput(batches["ours"]))
        peer_rps.append(throughput(batches["peer"]))
        ratios.append(ours_rps[-1] / peer_rps[-1])
        ours_p50.append(ms(p50(batches["ours"])))
        peer_p50.append(ms(p50(batches["peer"])))
    return {
        "ratio": spread(ratios),
        "ours_per_second": spread(ours_rps, 1),
        "peer_per_second": spread(peer_rps, 1),
        "ours_p50_ms": spread(ours_p50, 2),
        "peer_p50_ms": spread(peer_p50, 2),
    }


def hot_paths(ours: Worker, store: str, plan: Plan) -> dict:
    """cProfile of refresh and verify: where the time of one request goes (profiles kept in bench/results/)."""
    report = {}
    for op in ("refresh", "verify"):
        path = RESULTS_DIR / f"profile-{store}-{op}.txt"
        answer = ours.call("profile", op=op, n=30 if plan.quick else 100, path=str(path))
        report[op] = {"breakdown_ms": answer["breakdown_ms"], "profile": str(path.relative_to(ROOT))}
    return report


# --- figure 3 ------------------------------------------------------------------------------


def tenant_scaling(store: str, env: dict, scratch: Path, plan: Plan) -> dict:
    sizes, latency_limit = plan.sizes_for(store)
    keys_path = str(scratch / f"keys-{store}.jsonl")
    figure: dict = {"sizes": [], "notes": []}
    provision_started = time.perf_counter()
    with Worker("bench.scaling_worker", env, name="provisioner") as provisioner:
        provisioner.call("migrate")
        for size in sizes:
            left = plan.provision_budget - (time.perf_counter() - provision_started)
            answer = provisioner.call("provision", upto=size, keys_path=keys_path, budget_seconds=max(left, 0.0))
            seconds = answer["seconds"]
            row: dict = {
                "target": size,
                "clients": answer["clients"],
                "provision_ms_per_client": {
                    "median": ms(p50(seconds), 2) if seconds else None,
                    "mean": ms(sum(seconds) / len(seconds), 2) if seconds else None,
                    "p99": ms(percentile(seconds, 0.99), 2) if seconds else None,
                    "provisioned": len(seconds),
                },
            }
            log(f"  {store}: {answer['clients']} clients (+{len(seconds)}, median {row['provision_ms_per_client']['median']} ms each)")
            row["by_cache_size"] = {}
            for cache_size in plan.cache_sizes:
                measure_latency = cache_size == 1024 and answer["clients"] <= latency_limit
                worker_env = dict(env, AUTHSVC_USER_MODEL_CACHE_SIZE=str(cache_size))
                with Worker("bench.scaling_worker", worker_env, name=f"measure-{cache_size}") as measurer:
                    result = measurer.call(
                        "measure",
                        keys_path=keys_path,
                        sweep=answer["clients"] if plan.full else min(plan.sweep, answer["clients"]),
                        samples=plan.samples if measure_latency else 0,
                        budget_seconds=plan.sample_budget,
                    )
                row["by_cache_size"][str(cache_size)] = summarise_measure(result)
            figure["sizes"].append(row)
            if answer["clients"] < size:
                figure["notes"].append(
                    f"Provisioning stopped at {answer['clients']} of {size} clients: the {plan.provision_budget:.0f} s "
                    "budget of this run was spent (BENCH_FULL=1 runs the full size)."
                )
                break
    if store == "sqlite" and not plan.quick:
        # What-if, not the configuration: the same requests at the largest size with a new
        # connection per request, which makes SQLite parse the whole schema every time.
        with Worker("bench.scaling_worker", dict(env, AUTHSVC_DB_CONN_MAX_AGE="0"), name="measure-per-request") as measurer:
            result = measurer.call("measure", keys_path=keys_path, sweep=0, samples=plan.samples, budget_seconds=plan.sample_budget)
        figure["sizes"][-1]["connection_per_request_what_if"] = summarise_measure(result)
    if latency_limit < sizes[-1]:
        figure["notes"].append(
            f"Latency measured up to {latency_limit} clients only: SecantusDB evaluates the access-key lookup's "
            "$lookup before its $match (MongoDB moves the $match first and uses the key_id index), so a call "
            "whose key the process does not remember (the first call column) costs O(clients x keys) there. "
            "tests/test_secantus_differences.py reproduces it. Set MONGODB_URI to a real MongoDB, or "
            "BENCH_FULL=1, for every size."
        )
    if store == "mongodb" and not os.environ.get("MONGODB_URI") and sizes[-1] < 10000:
        last = figure["sizes"][-1]
        figure["notes"].append(
            f"Provisioned up to {last['clients']} clients only: on SecantusDB creating a collection and listing "
            f"collections grow with the number of collections (median {last['provision_ms_per_client']['median']} ms "
            "per client for the last step). BENCH_FULL=1 goes to 10,000 (hours on SecantusDB)."
        )
    what_if = figure["sizes"][-1].get("connection_per_request_what_if")
    if what_if and what_if["p50_ms"]:
        last = figure["sizes"][-1]
        figure["notes"].append(
            f"At {last['clients']} clients a verify costs {last['by_cache_size']['1024']['p50_ms'].get('verify')} ms "
            f"(p50) on a reused connection, and {what_if['p50_ms'].get('verify')} ms with a new connection per request "
            "(AUTHSVC_DB_CONN_MAX_AGE=0): a new SQLite connection parses the schema of every table, one per client. "
            "Provisioning a client changes the schema, so every other open connection parses it again once."
        )
    figure["goal"] = scaling_goal(figure)
    return figure


def summarise_measure(result: dict) -> dict:
    latencies = result["latencies"]
    return {
        "clients": result["clients"],
        "cache_size": result["cache_size"],
        "touched": result["touched"],
        "models_cached": result["models_cached"],
        "rss_mb": round(result["rss_after"] / 2**20, 1),
        "rss_growth_mb": round((result["rss_after"] - result["rss_before"]) / 2**20, 1),
        "rss_end_mb": round(result["rss_end"] / 2**20, 1),
        "samples": len(latencies["login"]),
        "p50_ms": {op: ms(p50(values), 2) for op, values in latencies.items() if values},
        "min_ms": {op: ms(min(values), 2) for op, values in latencies.items() if values},
        "max_ms": {op: ms(max(values), 2) for op, values in latencies.items() if values},
    }


def scaling_goal(figure: dict) -> dict:
    """Latency at the largest measured size over latency at 10 (goal: within 1.1x)."""
    measured = [row for row in figure["sizes"] if row["by_cache_size"]["1024"]["p50_ms"]]
    if len(measured) < 2:
        return {"met": None}
    first, last = measured[0]["by_cache_size"]["1024"]["p50_ms"], measured[-1]["by_cache_size"]["1024"]["p50_ms"]
    ratios = {op: round(last[op] / first[op], 2) for op in first}
    return {
        "from_clients": measured[0]["clients"],
        "to_clients": measured[-1]["clients"],
        "latency_ratio": ratios,
        "max_ratio": 1.1,
        # The goal names login, refresh and verify; the first call (key looked up) is reported beside it.
        "met": all(ratios[op] <= 1.1 for op in GOAL_OPERATIONS),
    }


GOAL_OPERATIONS = ("login", "refresh", "verify")


# --- figure 4 ------------------------------------------------------------------------------


def load_test(store: str, scratch: Path, plan: Plan) -> dict:
    output = scratch / f"load-{store}.json"
    command = [
        sys.executable, str(ROOT / "bench" / "loadtest.py"), "--store", store, "--users", str(plan.load_users),
        "--rounds", str(plan.load_rounds), "--threads", str(plan.load_threads), "--json", str(output),
    ]
    completed = subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL, env=dict(os.environ, AUTHSVC_BCRYPT_ROUNDS=str(DEFAULT_ROUNDS)))
    if not output.exists():
        return {"error": f"loadtest.py exited with code {completed.returncode} and no report"}
    report = json.loads(output.read_text())
    report["goal"] = {"met": report["server_errors"] == 0 and report["audit_complete"]}
    log(f"  load: {report['requests_per_second']} req/s, 5xx {report['server_errors']}, audit complete {report['audit_complete']}")
    return report


# --- figure 5 ------------------------------------------------------------------------------

MIXED_CONFIGS = ("recommended", "sync")


def mixed_load(store: str, scratch: Path, plan: Plan) -> dict:
    """Each server configuration under the same mixed load, one after the other (bench/mixed_load.py)."""
    figure: dict = {}
    for config in MIXED_CONFIGS:
        output = scratch / f"mixed-{store}-{config}.json"
        command = [
            sys.executable, str(ROOT / "bench" / "mixed_load.py"), "--store", store, "--config", config,
            "--seconds", str(plan.mixed_seconds), "--json", str(output),
        ]
        completed = subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL)
        if not output.exists():
            figure[config] = {"error": f"mixed_load.py exited with code {completed.returncode} and no report"}
            continue
        figure[config] = json.loads(output.read_text())
        item = figure[config]
        log(
            f"  {config}: verify p99 {item['endpoints'].get('verify', {}).get('p99_ms')} ms, refresh p99 "
            f"{item['endpoints'].get('refresh', {}).get('p99_ms')} ms, logins {item['login_throughput_ratio']}x the bcrypt floor, "
            f"5xx {item['server_errors']}, audit complete {item['audit_complete']}"
        )
    return figure


# --- the run -------------------------------------------------------------------------------


def run_store(store: str, mongo_uri: str | None, redis_url: str, scratch: Path, plan: Plan) -> dict:
    results: dict = {"label": store_label(store, mongo_uri or ""), "seconds": {}}
    ours_env = base_env(scratch=scratch, database=database_url(store, mongo_uri, scratch, "bench_ours"), redis_url=redis_url)
    peer_env = base_env(
        scratch=scratch,
        database=database_url(store, mongo_uri, scratch, "bench_peer"),
        redis_url=redis_url,
        settings_module="bench.peer.settings",
        BENCH_PEER_DIR=str(scratch / "peer"),
    )
    started = time.perf_counter()
    if plan.figures & {"login", "mfa", "peer"}:
        log(f"{store}: figures 1 and 2 (login overhead, refresh/verify against the peer), hot paths")
        with Worker("bench.ours_worker", ours_env, name="ours") as ours, Worker("bench.peer.worker", peer_env, name="peer") as peer:
            for worker in (ours, peer):
                worker.call("migrate")
                worker.call("setup")
            if "login" in plan.figures:
                results["login_overhead"] = login_overhead(ours, plan)
            if "mfa" in plan.figures:
                results["login_totp"] = login_with_totp(ours, plan)
            if "peer" in plan.figures:
                results["peer"] = against_peer(ours, peer, plan)
                results["hot_paths"] = hot_paths(ours, store, plan)
        results["seconds"]["figures_1_2"] = round(time.perf_counter() - started, 1)
    if "scaling" in plan.figures:
        started = time.perf_counter()
        results["scaling"] = scaling_step(store, mongo_uri, redis_url, scratch, plan)
        results["seconds"]["figure_3"] = round(time.perf_counter() - started, 1)
    if "load" in plan.figures:
        log(f"{store}: figure 4 (HTTP under load, bench/loadtest.py)")
        started = time.perf_counter()
        results["load"] = load_test(store, scratch, plan)
        results["seconds"]["figure_4"] = round(time.perf_counter() - started, 1)
    if "mixed" in plan.figures:
        log(f"{store}: figure 5 (mixed load: cheap calls while logins saturate bcrypt, bench/mixed_load.py)")
        started = time.perf_counter()
        results["mixed"] = mixed_load(store, scratch, plan)
        results["seconds"]["figure_5"] = round(time.perf_counter() - started, 1)
    if "mail" in plan.figures:
        log(f"{store}: figure 6 (forgot/resend on gunicorn, registered against unknown email, behind a slow relay; bench/mail_timing.py)")
        started = time.perf_counter()
        mail_env = base_env(scratch=scratch, database=database_url(store, mongo_uri, scratch, "bench_mail"), redis_url=redis_url)
        results["mail"] = mail_timing.figure(mail_env, plan)
        results["seconds"]["figure_6"] = round(time.perf_counter() - started, 1)
    if "floor" in plan.figures:
        log(f"{store}: figure 7 (token/verify over HTTP against /healthz, wrk; bench/http_floor.py)")
        started = time.perf_counter()
        results["floor"] = http_floor.figure(store, scratch, rounds=plan.floor_rounds, seconds=plan.floor_seconds)
        results["seconds"]["figure_7"] = round(time.perf_counter() - started, 1)
    if "webhooks" in plan.figures:
        log(f"{store}: figure 8 (webhooks: event to receiver, one worker's rate, logins with a dead receiver; bench/webhook_timing.py)")
        started = time.perf_counter()
        hooks_env = base_env(scratch=scratch, database=database_url(store, mongo_uri, scratch, "bench_webhooks"), redis_url=redis_url)
        results["webhooks"] = webhook_timing.figure(hooks_env, plan)
        results["seconds"]["figure_8"] = round(time.perf_counter() - started, 1)
    if "import" in plan.figures:
        users = plan.transfer_users_for(store)
        log(f"{store}: figure 9 (import of {users} users with bcrypt hashes, re-import, export; bench/transfer.py)")
        started = time.perf_counter()
        transfer_env = base_env(scratch=scratch, database=database_url(store, mongo_uri, scratch, "bench_transfer"), redis_url=redis_url)
        results["transfer"] = transfer.figure(transfer_env, scratch, users)
        results["seconds"]["figure_9"] = round(time.perf_counter() - started, 1)
    if "offline" in plan.figures:
        log(f"{store}: figure 10 (access tokens verified in the client's process against token/verify over HTTP; bench/offline_verification.py)")
        started = time.perf_counter()
        results["offline"] = offline_verification.figure(
            store, scratch, rounds=plan.offline_rounds, offline_batch=plan.offline_batch, http_batch=plan.offline_http_batch
        )
        results["seconds"]["figure_10"] = round(time.perf_counter() - started, 1)
    return results


def scaling_step(store: str, mongo_uri: str | None, redis_url: str, scratch: Path, plan: Plan) -> dict:
    log(f"{store}: figure 3 (tenant scaling)")
    scaling_env = base_env(
        scratch=scratch,
        database=database_url(store, mongo_uri, scratch, "bench_scaling"),
        redis_url=redis_url,
        AUTHSVC_BCRYPT_ROUNDS=str(LOW_ROUNDS),
    )
    return tenant_scaling(store, scaling_env, scratch, plan)


def main() -> int:
    from bench import charts, report

    plan = Plan()
    stores = [name.strip() for name in os.environ.get("BENCH_STORES", ",".join(STORES)).split(",") if name.strip()]
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="authsvc-bench-"))
    started = time.perf_counter()
    results: dict = {
        "mode": "quick" if plan.quick else ("full" if plan.full else "default"),
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "load_average_at_start": os.getloadavg()},
        "stores": {},
    }
    try:
        redis_url = os.environ.get("REDIS_URL") or start_redis()
        servers = {
            "mongodb": os.environ.get("MONGODB_URI") or (start_secantus() if "mongodb" in stores else None),
            "postgresql": os.environ.get("POSTGRES_URL") or (start_postgres() if "postgresql" in stores else None),
        }
        for store in stores:
            results["stores"][store] = run_store(store, servers.get(store), redis_url, scratch, plan)
    finally:
        stop_all()
        shutil.rmtree(scratch, ignore_errors=True)
    results["machine"]["load_average_at_end"] = os.getloadavg()
    results["seconds"] = seconds = round(time.perf_counter() - started, 1)
    if os.environ.get("BENCH_MERGE") and (RESULTS_DIR / "latest.json").exists():
        results = merged(json.loads((RESULTS_DIR / "latest.json").read_text()), results)
    (RESULTS_DIR / "latest.json").write_text(json.dumps(results, indent=2) + "\n")
    (RESULTS_DIR / "latest.md").write_text(report.markdown(results))
    charts.draw(results, RESULTS_DIR / "latest.png")
    log(f"done in {seconds} s: bench/results/latest.json, latest.md, latest.png")  # this run's, not a merged one's
    return 0


if __name__ == "__main__":
    sys.exit(main())
