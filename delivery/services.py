"""The delivery engine: requests queue rows, workers deliver them (docs/architecture.md, Delivery).

A request that delivers something (a mail today) writes a `Delivery` row with the change that
caused it and asks RQ (`manage.py delivery_worker` runs its workers) to deliver it once the
transaction commits. It never talks to the receiver, so a slow or dead one cannot slow a
request. What to send, and whether it is still wanted, is the kind's business (delivery.kinds);
everything else happens here, the same way for every kind.

Delivery is at least once. A worker claims a row with a conditional update (one store write
that only one worker can win, on every store: MongoDB has no SELECT ... SKIP LOCKED), asks its
kind whether it is still wanted and sends it, then marks it sent. A failed attempt is recorded
on the row (why, and when it is due again: an exponential, jittered delay) and scheduled with
RQ's scheduler for then; a worker killed mid-send leaves the row `sending`, and once its lease
runs out the sweep takes it again. The sweep, which a worker runs at start and then regularly,
enqueues every row that is due (which covers a crash between the commit and the enqueue, or a
Redis outage at that moment), deletes the stand-ins whose job was lost the same way, and fails
the rows not sent by their give-up time: the dead letters, which the kind announces and staff
retry or discard in the admin.

Clients take turns. RQ runs jobs in the order they were queued, so a client with a thousand
deliveries to a receiver that times out would otherwise hold every other client's deliveries
behind its own for a thousand timeouts. A job therefore names a row but delivers the oldest due
row of the next client in turn (round robin by client id; the last client served is kept in
Redis, shared by every worker): each client waits at most one attempt per other client with
work, whatever their backlogs. The claim stays the one conditional update; the turn is only a
hint (two workers reading it at once make one of them lose the claim and take the next client).
"""

import logging
import random
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from core.events import publish
from core.queries import one_or_none
from core.request_meta import RequestMeta
from delivery import jobs
from delivery.events import DeliveryDiscarded, DeliveryRetried
from delivery.kinds import Kind, Policy, kind_get, kinds
from delivery.models import Delivery, Status
from tenants.models import Client

logger = logging.getLogger("authsvc.delivery")

# A worker's clock may run a little behind the one that scheduled the retry.
CLOCK_TOLERANCE = timedelta(seconds=1)
# A job tries this many rows in turn when other workers claim them first, then its own.
CLAIM_TRIES = 3


# --- requests: queue a delivery ------------------------------------------------------------


def delivery_queue(*, client: Client, kind: str, topic: str, target: str, payload: dict) -> Delivery:
    """Write a row of `kind` (registered) and enqueue it when the surrounding transaction commits.

    An empty `target` makes a stand-in (see delivery.models): the same work, nothing delivered.
    """
    delivery = Delivery.objects.create(
        client=client, kind=kind, topic=topic, target=target, payload=payload, give_up_at=_give_up_at(kind_get(kind).policy())
    )
    transaction.on_commit(lambda: jobs.enqueue_quietly(delivery.delivery_id))
    return delivery


def _give_up_at(policy: Policy):
    return timezone.now() + timedelta(seconds=policy.max_age)


def retry_intervals(count: int, *, policy: Policy, rng: random.Random | None = None) -> list[int]:
    """Seconds before each retry: doubling from `policy.retry` up to `policy.retry_max`, each
    drawn between half and all of its step ("equal jitter"), so that deliveries refused
    together by a receiver do not come back together."""
    rng = rng or random.SystemRandom()
    steps = [min(policy.retry_max, policy.retry * 2**attempt) for attempt in range(count)]
    return [max(1, round(step / 2 + rng.uniform(0, step / 2))) for step in steps]


# --- workers: deliver ------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    # "sent"; "retry" (the send failed, a retry is scheduled); "skipped" (sent already, not due
    # yet, or held by another worker); "discarded" (no longer wanted); "failed" (too old);
    # "dropped" (a stand-in, deleted)
    outcome: str


def delivery_deliver_job(delivery_id: str) -> str:
    """RQ's entry point. A job is a ticket for one delivery, not for which one: it delivers the
    next client's due row in turn (delivery_deliver_next), so that one client's backlog, queued
    ahead of everyone else's, cannot hold their deliveries back; the ticket's own row is served
    by a later job the same way."""
    return delivery_deliver_next(ticket=delivery_id).outcome


def delivery_deliver_next(*, ticket: str) -> Outcome:
    """Deliver the oldest due row of the client after the last one served (by client id, round
    robin, across workers); when nothing is left to claim, the ticket's own row (delivery_deliver)."""
    for _ in range(CLAIM_TRIES):
        delivery = _next_in_turn()
        if delivery is None:
            break
        jobs.turn_set(delivery.client_id)
        if (outcome := _deliver(delivery)) is not None:
            return outcome
        # Another worker claimed it first: it has taken this client's turn, take the next one.
    return delivery_deliver(delivery_id=ticket)


def _next_in_turn() -> Delivery | None:
    """A row whose worker died first (rare, and overdue); else the oldest due row of the first
    client after the last one served, or of the first client at all (the turn wraps around)."""
    now = timezone.now()
    # No join on the client here: MongoDB-compatible stores run a $lookup before the filter (10x
    # slower at a few hundred due rows); the one row chosen loads its client when it is sent.
    registered = Delivery.objects.filter(kind__in=[kind.name for kind in kinds()])
    abandoned = registered.filter(status=Status.SENDING, lease_until__lt=now).order_by("lease_until").first()
    if abandoned is not None:
        return abandoned
    # The (status, client, next_attempt_at) index walks this in order and stops at the first row.
    due = registered.filter(status=Status.PENDING, next_attempt_at__lte=now + CLOCK_TOLERANCE).order_by("client_id", "next_attempt_at")
    last = jobs.turn_get()
    after = due.filter(client_id__gt=last).first() if last is not None else None
    return after or due.first()


def delivery_deliver(*, delivery_id: str) -> Outcome:
    """Deliver this row, if it is due and no other worker holds it."""
    delivery = one_or_none(Delivery.objects.select_related("client").filter(pk=delivery_id))
    if delivery is None:
        return Outcome("skipped")
    return _deliver(delivery) or Outcome("skipped")


def _deliver(delivery: Delivery) -> Outcome | None:
    """One attempt at `delivery`; None if it could not be claimed (not due, or held by another worker)."""
    if delivery.is_stand_in:
        _drop_stand_ins(Delivery.objects.filter(pk=delivery.pk))
        return Outcome("dropped")
    kind = kind_get(delivery.kind)
    if not _claim(delivery, kind):
        return None
    if timezone.now() > delivery.give_up_at:
        _give_up(delivery, kind)
        return Outcome("failed")
    subject = kind.wanted(delivery)
    if subject is None:
        _settle(delivery, Status.DISCARDED, last_error="no longer wanted")
        return Outcome("discarded")
    try:
        kind.send(delivery, subject)
    except Exception as error:  # noqa: BLE001 - any transport failure is retried, never lost
        _attempt_failed(delivery, kind, error)
        return Outcome("retry")
    _settle(delivery, Status.SENT, sent_at=timezone.now())
    return Outcome("sent")


def _claimable(now) -> Q:
    return Q(status=Status.PENDING, next_attempt_at__lte=now + CLOCK_TOLERANCE) | Q(status=Status.SENDING, lease_until__lt=now)


def _claim(delivery: Delivery, kind: Kind) -> bool:
    """Take the row for one attempt: a conditional update only one worker can win."""
    now = timezone.now()
    claimed = Delivery.objects.filter(_claimable(now), pk=delivery.pk, attempts=delivery.attempts).update(
        status=Status.SENDING,
        attempts=delivery.attempts + 1,
        lease_until=now + timedelta(seconds=kind.policy().lease),
    )
    if claimed != 1:
        return False
    delivery.status, delivery.attempts = Status.SENDING, delivery.attempts + 1
    return True


def _drop_stand_ins(deliveries: QuerySet[Delivery]) -> int:
    """Delete the stand-ins among `deliveries`: they have nothing to send."""
    dropped, _ = deliveries.filter(target="").delete()
    return dropped


def _settle(delivery: Delivery, status: str, **fields) -> None:
    """End this worker's attempt, unless the lease ran out and another worker took the row."""
    Delivery.objects.filter(pk=delivery.pk, status=Status.SENDING, attempts=delivery.attempts).update(
        status=status, lease_until=None, **fields
    )


def _attempt_failed(delivery: Delivery, kind: Kind, error: Exception) -> None:
    # The class of the error only: a receiver's reply can quote the content or the address.
    logger.warning("delivery %s attempt %s failed: %s", delivery.delivery_id, delivery.attempts, error.__class__.__name__)
    delay = timedelta(seconds=retry_intervals(delivery.attempts, policy=kind.policy())[-1])
    _settle(delivery, Status.PENDING, last_error=error.__class__.__name__[:200], next_attempt_at=timezone.now() + delay)
    jobs.enqueue(delivery.delivery_id, delay=delay)  # RQ's scheduler (in every worker) enqueues it when due


def _give_up(delivery: Delivery, kind: Kind) -> None:
    _settle(delivery, Status.FAILED)
    kind.on_give_up(delivery)


# --- the sweep -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sweep:
    enqueued: int
    failed: int
    dropped: int  # stand-ins whose job has not run (yet, or ever: lost with Redis)


def deliveries_sweep(*, kind: str | None = None) -> Sweep:
    """Enqueue every row that is due (never enqueued, failed before, or held by a dead worker),
    fail the ones too old to send and delete the stand-ins; enqueueing twice is harmless (a row
    is claimed once). `kind` limits it to one kind."""
    now = timezone.now()
    due = Delivery.objects.filter(Q(status=Status.PENDING, next_attempt_at__lte=now) | Q(status=Status.SENDING, lease_until__lt=now))
    if kind is not None:
        due = due.filter(kind=kind)
    dropped = _drop_stand_ins(due)
    failed = 0
    for delivery in due.filter(give_up_at__lt=now).select_related("client").iterator():
        delivery_kind = kind_get(delivery.kind)
        if _claim(delivery, delivery_kind):
            _give_up(delivery, delivery_kind)
            failed += 1
    enqueued = 0
    for delivery_id in due.filter(give_up_at__gte=now).values_list("delivery_id", flat=True).iterator():
        jobs.enqueue(delivery_id)
        enqueued += 1
    return Sweep(enqueued=enqueued, failed=failed, dropped=dropped)


def deliveries_sweep_job(turn: int = 0) -> dict:
    """The sweep as an RQ job that schedules the next one (see jobs.sweep_schedule)."""
    swept = deliveries_sweep()
    jobs.sweep_schedule(turn=1 - turn)
    return {"enqueued": swept.enqueued, "failed": swept.failed, "dropped": swept.dropped}


# --- staff: the dead letters -----------------------------------------------------------------


def delivery_retry(*, delivery: Delivery, request_meta: RequestMeta | None = None) -> bool:
    """Send a failed or discarded delivery again; it gets its kind's max age from now."""
    retried = Delivery.objects.filter(pk=delivery.pk, status__in=[Status.FAILED, Status.DISCARDED]).update(
        status=Status.PENDING, give_up_at=_give_up_at(kind_get(delivery.kind).policy()), next_attempt_at=timezone.now(), lease_until=None
    )
    if retried:
        transaction.on_commit(lambda: jobs.enqueue_quietly(delivery.delivery_id))
        publish(DeliveryRetried.of(delivery, request_meta=request_meta))
    return bool(retried)


def delivery_discard(*, delivery: Delivery, request_meta: RequestMeta | None = None) -> bool:
    """Never send this delivery (a pending or failed one); a worker holding it finishes its attempt."""
    discarded = Delivery.objects.filter(pk=delivery.pk, status__in=[Status.PENDING, Status.FAILED]).update(
        status=Status.DISCARDED, lease_until=None
    )
    if discarded:
        publish(DeliveryDiscarded.of(delivery, request_meta=request_meta))
    return bool(discarded)
