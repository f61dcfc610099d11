"""Figure 6: does the clock tell which emails have accounts? (bench/README.md)

`password/forgot` and `email/resend` answer 202 with one body whatever the email; with mail sent
inside the request, a registered email also paid the relay's time. Here the relay (aiosmtpd on
loopback) takes RELAY_DELAY seconds per message and a real mail worker (`manage.py mail_worker`)
sends beside the measured process, as in production. Requests for a registered and an unknown
email alternate one by one; the figure is the difference of their medians.

Run by bench/run.py: `figure(store_env, plan)` starts the relay and the worker, drives the
requests through a worker process (bench/mail_timing_worker.py) and stops everything it started.
"""

import asyncio
import subprocess
import sys
import threading
import time

from bench.common import ROOT, Worker, log, ms, p50, spread
from tests.stores import free_port

RELAY_DELAY = 0.5
GOAL_MS = 50.0


class SlowRelay:
    """An SMTP server on loopback that takes RELAY_DELAY seconds to accept each message."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.received = 0
        lock = threading.Lock()
        relay = self

        class Slow:
            async def handle_DATA(self, server, session, envelope):
                await asyncio.sleep(RELAY_DELAY)
                with lock:
                    relay.received += 1
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(Slow(), hostname="127.0.0.1", port=self.port)

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()


def figure(env: dict, plan) -> dict:
    with SlowRelay() as relay:
        env = {**env, "EMAIL_URL": f"smtp://127.0.0.1:{relay.port}", "AUTHSVC_MAIL_TIMEOUT_SECONDS": "10"}
        with Worker("bench.mail_timing_worker", env, name="mail-timing") as requests:
            requests.call("migrate")
            requests.call("setup")
            mail_worker = subprocess.Popen(
                [sys.executable, "manage.py", "mail_worker"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            try:
                result = {op: _pairs(requests, op, plan) for op in ("forgot", "resend")}
                result["queued"] = requests.call("queued")["queued"]
                deadline = time.monotonic() + 30
                while relay.received < min(result["queued"], 10) and time.monotonic() < deadline:
                    time.sleep(0.2)
                result["delivered_while_measuring"] = relay.received
            finally:
                mail_worker.terminate()
                mail_worker.wait(timeout=30)
    result["relay_delay_s"] = RELAY_DELAY
    result["goal"] = {
        "max_difference_ms": GOAL_MS,
        "met": all(abs(result[op]["difference_ms"]["median"]) < GOAL_MS for op in ("forgot", "resend")),
    }
    for op in ("forgot", "resend"):
        log(f"  {op}: registered - unknown p50 = {result[op]['difference_ms']['median']} ms")
    return result


def _pairs(requests: Worker, op: str, plan) -> dict:
    runs = {"registered_p50_ms": [], "unknown_p50_ms": [], "difference_ms": []}
    for _ in range(plan.mail_runs):
        timed = requests.call(op, pairs=plan.mail_pairs)
        registered, unknown = p50(timed["registered"]), p50(timed["unknown"])
        runs["registered_p50_ms"].append(ms(registered))
        runs["unknown_p50_ms"].append(ms(unknown))
        runs["difference_ms"].append(ms(registered - unknown))
    return {name: spread(values, 2) for name, values in runs.items()}
