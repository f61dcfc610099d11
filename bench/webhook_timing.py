"""Figure 8: webhooks (bench/README.md). How soon an event reaches the client's receiver, how many
messages one worker delivers a second, and whether a dead receiver costs the requests anything.

The service runs as in production: gunicorn with gunicorn.conf.py on loopback and one delivery
worker (`manage.py delivery_worker`, an RQ worker that forks a work horse per job). The receiver is
an HTTPS server in this process (so send and arrival times share one clock), with a certificate of
its own that the worker trusts (SSL_CERT_FILE); the dead receiver accepts connections and never
answers, so each attempt to it holds the worker for the attempt's timeout. Three measurements, in this order:
- latency: sign-ups one at a time, each waited for at the receiver (an idle worker); event →
  receiver is from the sign-up's request to the message's arrival, p50 and p99;
- throughput: with the worker stopped, a batch of sign-ups queues its messages; a fresh worker then
  delivers them; messages/s between the first arrival and the last;
- requests: logins of three clients' users interleaved, order rotated each round: a client whose
  webhook (user.login) goes to the dead receiver, one whose goes to the live receiver, and one
  without webhooks; p50 each and the ratios. The dead client's messages keep the worker busy
  meanwhile; no request waits for it (dead/live), and a webhook's own cost is live - none.

Run by bench/run.py: `figure(store_env, plan)` starts what it needs and stops everything it started.
"""

import http.server
import json
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from cryptography.fernet import Fernet

from bench.common import ROOT, Worker, log, ms, p50, percentile
from bench.loadtest import Api, Recorder, start_gunicorn
from tests.receivers import self_signed_certificate
from tests.stores import free_port

WAIT_SECONDS = 60
# The receivers' name: a certificate of their own for it; the operator's switch allows loopback names.
HOST = "localhost"
# The goal: a dead receiver costs a request nothing: a login whose webhook's receiver never answers is
# within 10 % of one whose receiver answers at once. What a webhook costs at all (its rows and its job,
# written with the event) is reported beside it: a login of a client without webhooks.
GOAL_MAX_RATIO = 1.1
# Events before the timed ones: the worker's first jobs pay for its start.
WARMUP_EVENTS = 3


class Receiver:
    """An HTTPS server on loopback that notes when each message arrived, by the email in its data."""

    def __init__(self, certificate: tuple[Path, Path]) -> None:
        self.arrived: dict[str, float] = {}
        self.changed = threading.Condition()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                now = time.perf_counter()
                with receiver.changed:
                    receiver.arrived.setdefault(body["data"]["email"] or "", now)
                    receiver.changed.notify_all()
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*certificate)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.url = f"https://{HOST}:{self.server.server_port}/hooks"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def wait_for(self, emails: set[str], timeout: float = WAIT_SECONDS) -> bool:
        deadline = time.monotonic() + timeout
        with self.changed:
            while not emails <= self.arrived.keys():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.changed.wait(left)
        return True

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def dead_receiver() -> tuple[socket.socket, str]:
    """A port that takes connections (into its backlog) and never answers a byte, TLS handshake included."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1024)
    return listener, f"https://{HOST}:{listener.getsockname()[1]}/hooks"


def start_worker(env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "delivery_worker"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    process.wait(timeout=60)


def figure(env: dict, plan) -> dict:
    certificate = self_signed_certificate(HOST, Path(tempfile.mkdtemp(prefix="authsvc-bench-tls-")))
    receiver = Receiver(certificate)
    listener, dead_url = dead_receiver()
    # DEBUG stays off (https only, as in production): the worker trusts the receivers' certificate,
    # the operator's switch lets it reach loopback, and a sealing key seals the webhooks' secrets.
    env = {
        **env,
        "AUTHSVC_WEBHOOK_ALLOW_PRIVATE": "1",
        "AUTHSVC_BCRYPT_ROUNDS": "4",
        "SSL_CERT_FILE": str(certificate[0]),
        "AUTHSVC_SEALING_KEYS": Fernet.generate_key().decode(),
    }
    try:
        with Worker("bench.webhook_timing_worker", env, name="webhook-timing") as provision:
            provision.call("migrate")
            clients = provision.call("setup", receiver_url=receiver.url, dead_url=dead_url)
            port = free_port()
            server = start_gunicorn(env, port)
            worker = start_worker(env)
            api = Api(port, Recorder())
            try:
                result = {"latency": _latency(api, clients["hooked"], receiver, plan.webhook_paced)}
                stop(worker)
                result["throughput"] = _throughput(api, clients["hooked"], receiver, plan.webhook_batch, lambda: start_worker(env))
                worker = result["throughput"].pop("worker")
                result["requests"] = _requests(api, clients, warmup=plan.webhook_warmup, rounds=plan.webhook_rounds)
                result["deliveries"] = provision.call("counts")
            finally:
                stop(worker)
                stop(server)
    finally:
        receiver.close()
        listener.close()
    result["server"] = "gunicorn.conf.py, one delivery worker"
    result["goal"] = {"max_ratio": GOAL_MAX_RATIO, "met": result["requests"]["dead_over_live"] <= GOAL_MAX_RATIO}
    log(
        f"  event -> receiver p50 {result['latency']['p50_ms']} ms, p99 {result['latency']['p99_ms']} ms; "
        f"{result['throughput']['per_second']} messages/s with one worker; login p50 dead/live "
        f"{result['requests']['dead_over_live']}, dead/none {result['requests']['dead_over_none']} "
        f"(a webhook costs {result['requests']['webhook_cost_ms']} ms)"
    )
    return result


def _sign_up(api: Api, client: dict, email: str) -> float:
    """Sign `email` up; the time the request was sent."""
    started = time.perf_counter()
    status, _ = api.post("signup", f"/api/v1/{client['client_id']}/signup", {"email": email, "password": client["password"]}, client["access_key"])
    if status != 201:
        raise RuntimeError(f"signup answered {status}")
    return started


def _latency(api: Api, client: dict, receiver: Receiver, count: int) -> dict:
    latencies = []
    for number in range(-WARMUP_EVENTS, count):
        email = f"paced-{number}@example.com"
        sent = _sign_up(api, client, email)
        if not receiver.wait_for({email}):
            raise RuntimeError(f"{email}'s message did not arrive within {WAIT_SECONDS} s")
        if number >= 0:
            latencies.append(receiver.arrived[email] - sent)
    return {"events": count, "p50_ms": ms(p50(latencies), 1), "p99_ms": ms(percentile(latencies, 0.99), 1), "max_ms": ms(max(latencies), 1)}


def _throughput(api: Api, client: dict, receiver: Receiver, count: int, start) -> dict:
    emails = {f"batch-{number}@example.com" for number in range(count)}
    for email in sorted(emails):
        _sign_up(api, client, email)
    worker = start()
    if not receiver.wait_for(emails, timeout=WAIT_SECONDS * 5):
        raise RuntimeError("the batch's messages did not all arrive")
    arrivals = sorted(receiver.arrived[email] for email in emails)
    return {"messages": count, "per_second": round((count - 1) / (arrivals[-1] - arrivals[0]), 1), "worker": worker}


def _requests(api: Api, clients: dict, *, warmup: int, rounds: int) -> dict:
    timed: dict[str, list[float]] = {name: [] for name in ("dead", "hooked", "none")}
    names = list(timed)
    for number in range(warmup + rounds):
        order = names[number % 3 :] + names[: number % 3]
        for name in order:
            client = clients[name]
            started = time.perf_counter()
            status, _ = api.post(name, f"/api/v1/{client['client_id']}/login", {"email": client["email"], "password": client["password"]}, client["access_key"])
            elapsed = time.perf_counter() - started
            if status != 200:
                raise RuntimeError(f"login answered {status}")
            if number >= warmup:
                timed[name].append(elapsed)
    medians = {name: p50(values) for name, values in timed.items()}
    return {
        "logins_per_client": rounds,
        "p50_ms": {name: ms(value, 2) for name, value in medians.items()},
        "p99_ms": {name: ms(percentile(values, 0.99), 2) for name, values in timed.items()},
        "dead_over_none": round(medians["dead"] / medians["none"], 3),
        "dead_over_live": round(medians["dead"] / medians["hooked"], 3),
        "webhook_cost_ms": ms(medians["hooked"] - medians["none"], 2),
    }


# --- the report (bench/report.py) ----------------------------------------------------------


def goal_cell(data: dict) -> str:
    item = data.get("webhooks")
    if not item:
        return "–"
    return f"{item['requests']['dead_over_live']}× → {'met' if item['goal']['met'] else 'NOT met'}"


def section(rows: list[tuple[str, dict]]) -> list[str]:
    """Figure 8's table: one row per store that ran it."""
    lines = [
        "## 8. Webhooks (bench/webhook_timing.py)",
        "",
        "gunicorn (`gunicorn.conf.py`) and one delivery worker on loopback, the receivers in the benchmark's process.",
        "Event → receiver: sign-ups one at a time, from the request to the message's arrival. Rate: a batch queued",
        "while the worker was stopped, delivered by one fresh worker (RQ forks a work horse per job). Logins: three",
        "clients' users interleaved, one whose webhook's receiver never answers, one whose receiver answers 204, one",
        "without webhooks; the ratios of their p50s (goal: dead/live ≤ 1.1: a dead receiver costs a request nothing),",
        "and what a webhook costs a login at all (live − none: its rows and job, written with the event; bcrypt at 4 rounds",
        "here, so the ratio to none is far above what it is at the default 12).",
        "",
        "| store | event → receiver p50 / p99 ms | messages/s, one worker | login p50 ms dead / live / none | dead/live | dead/none | webhook cost ms | goal |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for label, item in rows:
        latency, requests = item["latency"], item["requests"]
        p50s = requests["p50_ms"]
        lines.append(
            f"| {label} | {latency['p50_ms']} / {latency['p99_ms']} | {item['throughput']['per_second']} | "
            f"{p50s['dead']} / {p50s['hooked']} / {p50s['none']} | {requests['dead_over_live']} | {requests['dead_over_none']} | "
            f"{requests['webhook_cost_ms']} | {'met' if item['goal']['met'] else 'NOT met'} |"
        )
    return lines
