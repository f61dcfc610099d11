"""Races in tests: attempts released together from several threads."""

import threading
from collections.abc import Callable

from django.db import connection


def at_once(count: int, attempt: Callable[[], object]) -> list:
    """Run `attempt` in `count` threads released together; each thread closes its own DB connection."""
    barrier = threading.Barrier(count)
    results: list = []
    lock = threading.Lock()

    def run() -> None:
        try:
            barrier.wait(timeout=10)
            result = attempt()
            with lock:
                results.append(result)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(results) == count, "a thread did not finish"
    return results
