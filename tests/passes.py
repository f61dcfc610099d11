"""`make test`'s store passes, run side by side: SQLite, MongoDB and PostgreSQL.

Each pass is one pytest process that spends much of its time waiting on its own servers
(SecantusDB, PostgreSQL, Redis, a browser), so on two cores the three together take little more
than the longest one alone. Every pass starts its own servers on free loopback ports and its own
scratch databases, so they share nothing. Each line a pass prints is shown as it comes, prefixed
with its pass; a pass's summary and the names of its failed tests are repeated at the end (CI may
keep only the last lines of a long run), and the exit status is the first failure's.

    python -m tests.passes [pytest arguments...]
    AUTHSVC_TEST_STORES=sqlite,postgresql python -m tests.passes   # some passes only
"""

import os
import subprocess
import sys
import threading
import time

STORES = ("sqlite", "mongodb", "postgresql")
NOTHING_SELECTED = 5  # pytest's exit status when no test was selected
# The sqlite pass runs everything, so it is the longest: it runs as two processes, the tests every
# store runs and those only it runs (marked store_independent or embedded_default), so that both
# cores stay busy once the other passes are done.
SQLITE_PARTS = {
    "sqlite": "not store_independent and not embedded_default",
    "sqlite/once": "store_independent or embedded_default",
}


FAILURE_PREFIXES = ("FAILED ", "ERROR ")  # pytest's short summary lines (-rfE, the default)


def _relay(store: str, process: subprocess.Popen, tail: list[str], failures: list[str], lock: threading.Lock) -> None:
    """Print the pass's lines as they come, prefixed; keep its last lines and failures for the summary."""
    for line in process.stdout:
        with lock:
            sys.stdout.write(f"[{store}] {line}")
            sys.stdout.flush()
        tail.append(line.rstrip("\n"))
        del tail[:-3]
        if line.startswith(FAILURE_PREFIXES):
            failures.append(line.rstrip("\n"))


def _passes(stores: list[str]) -> list[tuple[str, str, list[str]]]:
    """(name, store, pytest selection) of each process to run."""
    passes = []
    for store in stores:
        if store == "sqlite":
            passes += [(name, store, ["-m", expression]) for name, expression in SQLITE_PARTS.items()]
        else:
            passes.append((store, store, []))
    return passes


def main(arguments: list[str]) -> int:
    stores = [name.strip() for name in os.environ.get("AUTHSVC_TEST_STORES", ",".join(STORES)).split(",") if name.strip()]
    started = time.monotonic()
    lock = threading.Lock()
    passes = {}
    for name, store, selection in _passes(stores):
        environment = {**os.environ, "AUTHSVC_TEST_STORE": store, "PYTHONUNBUFFERED": "1"}
        process = subprocess.Popen(
            [sys.executable, "-m", "pytest", "-q", *selection, *arguments],
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
        )
        tail: list[str] = []
        failures: list[str] = []
        relay = threading.Thread(target=_relay, args=(name, process, tail, failures, lock), daemon=True)
        relay.start()
        passes[name] = (process, relay, tail, failures)
    status = 0
    for name, (process, relay, tail, failures) in passes.items():
        code = process.wait()
        relay.join()
        code = 0 if code == NOTHING_SELECTED else code  # PYTEST_ARGS may pick tests of one part only
        passes[name] = (code, tail, failures)
        status = status or code
    print(f"\nstore passes, {time.monotonic() - started:.0f} s in all:")
    for name, (code, tail, failures) in passes.items():
        print(f"store: {name}: {'ok' if code == 0 else f'FAILED (exit {code})'}: {tail[-1] if tail else ''}")
        for failure in failures:
            print(f"store: {name}:   {failure}")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
