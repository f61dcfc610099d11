"""The RQ side of the engine: one queue for every kind, its jobs, and the sweep's schedule.

A job only names a row; the row is the truth. A lost job (Redis restarted, an enqueue that
failed after the commit) costs a delay until the next sweep, never a delivery.
"""

import logging
import uuid
from datetime import timedelta

from django_redis import get_redis_connection
from rq import Queue

from delivery.kinds import kinds

logger = logging.getLogger("authsvc.delivery")

QUEUE = "delivery"
DELIVER_JOB = "delivery.services.delivery_deliver_job"
SWEEP_JOB = "delivery.services.deliveries_sweep_job"
SWEEP_JOB_IDS = ("authsvc-delivery-sweep-a", "authsvc-delivery-sweep-b")
# The client whose delivery a worker took last (delivery.services: clients take turns).
TURN_KEY = "authsvc:delivery:turn"
DEFAULT_SWEEP_SECONDS = 60


def delivery_queue() -> Queue:
    """RQ's queue of delivery jobs, on the Redis the rate limits use (embedded or REDIS_URL)."""
    return Queue(QUEUE, connection=get_redis_connection("default"))


def enqueue(delivery_id, *, delay: timedelta | None = None) -> None:
    # RQ names each job itself: a retry is enqueued while the job that failed still runs, and a
    # shared id would let that job's clean-up delete its own retry. Two jobs for one row are
    # harmless; the row is claimed once.
    options = {"result_ttl": 0, "failure_ttl": 24 * 3600}
    if delay:
        delivery_queue().enqueue_in(delay, DELIVER_JOB, str(delivery_id), **options)
    else:
        delivery_queue().enqueue(DELIVER_JOB, str(delivery_id), **options)


def enqueue_quietly(delivery_id) -> None:
    # The row is written: if Redis is down now, the sweep enqueues it later. The request that
    # queued it must answer the same either way.
    try:
        enqueue(delivery_id)
    except Exception as error:  # noqa: BLE001 - any queue failure; the row stays pending
        logger.warning("delivery %s queued but not enqueued (%s): the sweep will", delivery_id, error.__class__.__name__)


def sweep_seconds() -> int:
    """How often workers sweep: as often as the most demanding kind asks."""
    return min((kind.policy().sweep for kind in kinds()), default=DEFAULT_SWEEP_SECONDS)


def sweep_schedule(*, turn: int = 0) -> None:
    """Schedule a sweep `sweep_seconds()` from now, under the job id of `turn`.

    Two ids take turns: a running sweep never schedules its own id (RQ would delete the
    successor with the finished job), and scheduling an id that is already scheduled only moves
    it, so however many workers start, at most two sweeps are ever scheduled.
    """
    delay = timedelta(seconds=sweep_seconds())
    delivery_queue().enqueue_in(delay, SWEEP_JOB, turn, job_id=SWEEP_JOB_IDS[turn], result_ttl=0)


def turn_get() -> uuid.UUID | None:
    """The client served last, by any worker (None: nobody yet, or Redis lost it: start over)."""
    value = get_redis_connection("default").get(TURN_KEY)
    try:
        return uuid.UUID(value.decode()) if value else None
    except ValueError:
        return None


def turn_set(client_id) -> None:
    get_redis_connection("default").set(TURN_KEY, str(client_id))
