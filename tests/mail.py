"""Mail in tests goes the way it goes in production: requests queue it in the outbox, an RQ
worker on the suite's real Redis sends it. Reading what was sent first lets a worker run."""

from collections.abc import Sequence

from rq import SimpleWorker

from delivery.jobs import delivery_queue
from delivery.services import deliveries_sweep


def deliver_queued_mail(*, sweep: bool = True) -> None:
    """Send what is queued, in this process (so on the test's database), until the queue is empty.

    The sweep first enqueues rows whose enqueue never ran: a test inside one transaction
    (django_db without transaction=True) never runs on_commit callbacks.
    """
    if sweep:
        deliveries_sweep()
    queue = delivery_queue()
    SimpleWorker([queue], connection=queue.connection).work(burst=True, logging_level="WARNING")


class DeliveredMail(Sequence):
    """A list of sent messages that lets the worker run before each read."""

    def __init__(self, sent: list):
        self._sent = sent

    def _delivered(self) -> list:
        deliver_queued_mail()
        return self._sent

    def __getitem__(self, index):
        return self._delivered()[index]

    def __len__(self) -> int:
        return len(self._delivered())

    def __eq__(self, other) -> bool:
        return self._delivered() == list(other)

    def __repr__(self) -> str:
        return repr(self._sent)

    def clear(self) -> None:
        self._delivered().clear()
