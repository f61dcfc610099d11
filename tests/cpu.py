"""CPU time of a block of a test, for the tests that bound what one call may cost."""

import gc
import time
from collections.abc import Iterator
from contextlib import contextmanager


class Spent:
    seconds: float = 0.0


@contextmanager
def cpu_seconds() -> Iterator[Spent]:
    """The process's CPU seconds in the block, the garbage collector held off meanwhile: a collection of
    everything the test process made before (a thousand tests' worth) that happened to fall inside
    would be counted against the one call the bound is about."""
    spent = Spent()
    was_enabled = gc.isenabled()
    gc.disable()
    started = time.process_time()
    try:
        yield spent
    finally:
        spent.seconds = time.process_time() - started
        if was_enabled:
            gc.enable()
