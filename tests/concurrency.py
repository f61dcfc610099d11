"""Races in tests: attempts released together from several threads."""

import threading
from collections.abc import Callable

from django.db import connection


def at_once(count: int, attempt: Callable[[], object]) -> list:
    """Run `attempt` in `count` threads released together; each thread closes its own DB connection."""
    return each_at_once(*[attempt] * count)


def each_at_once(*attempts: Callable[[], object]) -> list:
    """Run each of `attempts` in a thread of its own, released together; their results, in the same order."""
    barrier = threading.Barrier(len(attempts))
    results: dict[int, object] = {}
    lock = threading.Lock()

    def run(at: int, attempt: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=10)
            result = attempt()
            with lock:
                results[at] = result
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(at, attempt)) for at, attempt in enumerate(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(results) == len(attempts), "a thread did not finish"
    return [results[at] for at in range(len(attempts))]


def until_answered(send: Callable[[], object], *, status: Callable[[object], int], tries: int = 20) -> object:
    """`send()` again while it answers 503 (as a client honouring Retry-After would): its last answer.

    SQLite refuses a writer at once now and then under a race ("database table is locked"), which
    the service answers with 503 and Retry-After; no other store does.
    """
    answer = send()
    for _ in range(tries - 1):
        if status(answer) != 503:
            break
        answer = send()
    return answer
