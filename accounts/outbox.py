"""The mail outbox: requests queue mails as rows, workers send them (docs/architecture.md, Mail).

A request that may mail writes an `OutboundMail` row with the change that caused it and
asks RQ (a Redis queue; `manage.py mail_worker` runs its workers) to deliver it once the
transaction commits. It never touches SMTP, so a slow or dead relay cannot slow a request or
tell, by the clock, which emails have accounts. Nor does the work it does: `password/forgot`
and `email/resend` write one row and enqueue one job whatever the email, and when no mail is
wanted the row is a stand-in, with neither user nor address, that whoever meets it deletes.

Delivery is at least once. A worker claims a row with a conditional update (one store write
that only one worker can win, on every store: MongoDB has no SELECT ... SKIP LOCKED), renders
the mail with a fresh link token, sends it with the row's id as Message-ID, then marks it sent.
A failed attempt is recorded on the row (why, and when it is due again: an exponential,
jittered delay) and scheduled with RQ's scheduler for then; a worker killed mid-send leaves the
row `sending`, and once its lease runs out the sweep takes it again. The sweep, which
a worker runs at start and every AUTHSVC_MAIL_SWEEP_SECONDS, enqueues every row that is due
(which covers a crash between the commit and the enqueue, or a Redis outage at that moment),
deletes the stand-ins whose job was lost the same way, and fails the rows not sent
AUTHSVC_MAIL_MAX_AGE_SECONDS after they were queued: the dead letters, which audit records and
staff retry or discard in the admin.
"""

import logging
import random
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django_redis import get_redis_connection
from rq import Queue

from accounts import emails, signals
from accounts.models import MailKind, MailStatus, OutboundMail
from accounts.selectors import user_get
from core.queries import one_or_none
from core.request_meta import RequestMeta
from tenants.models import AbstractTenantUser, Client

logger = logging.getLogger("authsvc.accounts.outbox")

QUEUE = "mail"
SWEEP_JOB = "accounts.outbox.outbox_sweep_job"
SWEEP_JOB_IDS = ("authsvc-mail-outbox-sweep-a", "authsvc-mail-outbox-sweep-b")
# A worker's clock may run a little behind the one that scheduled the retry.
CLOCK_TOLERANCE = timedelta(seconds=1)


def mail_queue() -> Queue:
    """RQ's queue of mail jobs, on the Redis the rate limits use (embedded or REDIS_URL)."""
    return Queue(QUEUE, connection=get_redis_connection("default"))


# --- requests: queue a mail ------------------------------------------------------------


def mail_wanted(user: AbstractTenantUser | None, kind: str) -> bool:
    """Whether `user` is one a mail of `kind` goes to: the request decides with it, and the worker
    again when the mail's turn comes (the user may have verified, or gone, meanwhile)."""
    if user is None or not user.is_active:
        return False
    return not (kind == MailKind.VERIFY_EMAIL and user.email_verified)


def outbound_mail_queue(*, client: Client, user: AbstractTenantUser | None, kind: str) -> bool:
    """Queue a mail of `kind` to `user` if it wants one, and say whether.

    Either way the request does the same work: one row written, one job enqueued when the
    surrounding transaction commits. A request that only wrote (and enqueued) for an account
    answered a millisecond later than one for an unknown email, often enough to be told apart.
    When no mail is wanted the row is a stand-in: no user, no address (an address typed by
    anyone is not kept), and the worker or sweep that meets it deletes it.
    """
    wanted = mail_wanted(user, kind)
    mail = OutboundMail.objects.create(
        client=client,
        user_id=user.user_id if wanted else None,
        recipient=user.email if wanted else "",
        kind=kind,
        give_up_at=_give_up_at(timezone.now()),
    )
    transaction.on_commit(lambda: _enqueue_quietly(mail.mail_id))
    return wanted


def _give_up_at(start):
    return start + timedelta(seconds=settings.AUTHSVC_MAIL_MAX_AGE_SECONDS)


def _enqueue_quietly(mail_id) -> None:
    # The row is written: if Redis is down now, the sweep enqueues it later. The request that
    # queued it must answer the same either way.
    try:
        _enqueue(mail_id)
    except Exception as error:  # noqa: BLE001 - any queue failure; the row stays pending
        logger.warning("mail %s queued in the outbox but not enqueued (%s): the sweep will", mail_id, error.__class__.__name__)


DELIVER_JOB = "accounts.outbox.outbound_mail_deliver_job"


def _enqueue(mail_id, *, delay: timedelta | None = None) -> None:
    # RQ names each job itself: a retry is enqueued while the job that failed still runs, and a
    # shared id would let that job's clean-up delete its own retry. Two jobs for one mail are
    # harmless; the row is claimed once.
    options = {"result_ttl": 0, "failure_ttl": 24 * 3600}
    if delay:
        mail_queue().enqueue_in(delay, DELIVER_JOB, str(mail_id), **options)
    else:
        mail_queue().enqueue(DELIVER_JOB, str(mail_id), **options)


def retry_intervals(count: int, *, rng: random.Random | None = None) -> list[int]:
    """Seconds before each retry: doubling from AUTHSVC_MAIL_RETRY_SECONDS up to
    AUTHSVC_MAIL_RETRY_MAX_SECONDS, each drawn between half and all of its step ("equal
    jitter"), so that mails refused together by a relay do not come back together."""
    rng = rng or random.SystemRandom()
    base, cap = settings.AUTHSVC_MAIL_RETRY_SECONDS, settings.AUTHSVC_MAIL_RETRY_MAX_SECONDS
    steps = [min(cap, base * 2**attempt) for attempt in range(count)]
    return [max(1, round(step / 2 + rng.uniform(0, step / 2))) for step in steps]


# --- workers: deliver ---------------------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    # "sent"; "retry" (the send failed, a retry is scheduled); "skipped" (sent already, not due
    # yet, or held by another worker); "discarded" (no longer wanted); "failed" (too old);
    # "dropped" (a stand-in, deleted)
    outcome: str


def outbound_mail_deliver_job(mail_id: str) -> str:
    """RQ's entry point: deliver one mail (a failed send schedules its own retry)."""
    return outbound_mail_deliver(mail_id=mail_id).outcome


def outbound_mail_deliver(*, mail_id: str) -> Delivery:
    mail = one_or_none(OutboundMail.objects.select_related("client").filter(pk=mail_id))
    if mail is not None and mail.user_id is None:
        _drop_stand_ins(OutboundMail.objects.filter(pk=mail.pk))
        return Delivery("dropped")
    if mail is None or not _claim(mail):
        return Delivery("skipped")
    if _too_old(mail):
        _fail(mail)
        return Delivery("failed")
    user = user_get(client=mail.client, user_id=mail.user_id)
    if not mail_wanted(user, mail.kind) or user.email != mail.recipient:
        _settle(mail, MailStatus.DISCARDED, last_error="no longer wanted")
        return Delivery("discarded")
    # The row's id, not email.utils.make_msgid (which adds the time and a random number): a mail
    # sent again after a crash must be the same message to the relay and the reader.
    message_id = f"<{mail.mail_id}@{emails.service_host() or 'authsvc.invalid'}>"
    try:
        emails.send_link_mail(kind=mail.kind, client=mail.client, user=user, message_id=message_id)
    except Exception as error:  # noqa: BLE001 - any transport failure is retried, never lost
        _attempt_failed(mail, error)
        return Delivery("retry")
    _settle(mail, MailStatus.SENT, sent_at=timezone.now())
    return Delivery("sent")


def _claim(mail: OutboundMail) -> bool:
    """Take the row for one attempt: a conditional update only one worker can win."""
    now = timezone.now()
    claimable = Q(status=MailStatus.PENDING, next_attempt_at__lte=now + CLOCK_TOLERANCE) | Q(
        status=MailStatus.SENDING, lease_until__lt=now
    )
    claimed = OutboundMail.objects.filter(claimable, pk=mail.pk, attempts=mail.attempts).update(
        status=MailStatus.SENDING,
        attempts=mail.attempts + 1,
        lease_until=now + timedelta(seconds=settings.AUTHSVC_MAIL_LEASE_SECONDS),
    )
    if claimed != 1:
        return False
    mail.status, mail.attempts = MailStatus.SENDING, mail.attempts + 1
    return True


def _drop_stand_ins(mails: QuerySet[OutboundMail]) -> int:
    """Delete the stand-ins among `mails` (see outbound_mail_queue): they have nothing to send."""
    dropped, _ = mails.filter(user_id__isnull=True).delete()
    return dropped


def _too_old(mail: OutboundMail) -> bool:
    return timezone.now() > mail.give_up_at


def _settle(mail: OutboundMail, status: str, **fields) -> None:
    """End this worker's attempt, unless the lease ran out and another worker took the row."""
    OutboundMail.objects.filter(pk=mail.pk, status=MailStatus.SENDING, attempts=mail.attempts).update(
        status=status, lease_until=None, **fields
    )


def _attempt_failed(mail: OutboundMail, error: Exception) -> None:
    # The class of the error only: an SMTP reply can quote the message or the address.
    logger.warning("mail %s attempt %s failed: %s", mail.mail_id, mail.attempts, error.__class__.__name__)
    delay = timedelta(seconds=retry_intervals(mail.attempts)[-1])
    _settle(mail, MailStatus.PENDING, last_error=error.__class__.__name__[:200], next_attempt_at=timezone.now() + delay)
    _enqueue(mail.mail_id, delay=delay)  # RQ's scheduler (in every worker) enqueues it when due


def _fail(mail: OutboundMail) -> None:
    _settle(mail, MailStatus.FAILED)
    signals.mail_failed.send(
        sender=OutboundMail,
        client=mail.client,
        user_id=mail.user_id,
        request_meta=None,
        reason="undelivered",
        metadata={"mail_id": str(mail.mail_id), "kind": mail.kind, "attempts": mail.attempts, "last_error": mail.last_error},
    )


# --- the sweep -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Sweep:
    enqueued: int
    failed: int
    dropped: int  # stand-ins whose job has not run (yet, or ever: lost with Redis)


def outbox_sweep() -> Sweep:
    """Enqueue every mail that is due (never enqueued, failed before, or held by a dead worker),
    fail the ones too old to send and delete the stand-ins; enqueueing twice is harmless (a row
    is claimed once)."""
    now = timezone.now()
    due = OutboundMail.objects.filter(
        Q(status=MailStatus.PENDING, next_attempt_at__lte=now) | Q(status=MailStatus.SENDING, lease_until__lt=now)
    )
    dropped = _drop_stand_ins(due)
    failed = 0
    for mail in due.filter(give_up_at__lt=now).iterator():
        if _claim(mail):
            _fail(mail)
            failed += 1
    enqueued = 0
    for mail_id in due.filter(give_up_at__gte=now).values_list("mail_id", flat=True).iterator():
        _enqueue(mail_id)
        enqueued += 1
    return Sweep(enqueued=enqueued, failed=failed, dropped=dropped)


def outbox_sweep_job(turn: int = 0) -> dict:
    """The sweep as an RQ job that schedules the next one (see outbox_sweep_schedule)."""
    swept = outbox_sweep()
    outbox_sweep_schedule(turn=1 - turn)
    return {"enqueued": swept.enqueued, "failed": swept.failed, "dropped": swept.dropped}


def outbox_sweep_schedule(*, turn: int = 0) -> None:
    """Schedule a sweep AUTHSVC_MAIL_SWEEP_SECONDS from now, under the job id of `turn`.

    Two ids take turns: a running sweep never schedules its own id (RQ would delete the
    successor with the finished job), and scheduling an id that is already scheduled only moves
    it, so however many workers start, at most two sweeps are ever scheduled.
    """
    delay = timedelta(seconds=settings.AUTHSVC_MAIL_SWEEP_SECONDS)
    mail_queue().enqueue_in(delay, SWEEP_JOB, turn, job_id=SWEEP_JOB_IDS[turn], result_ttl=0)


# --- staff: the dead letters ------------------------------------------------------------------


def outbound_mail_retry(*, mail: OutboundMail, request_meta: RequestMeta | None = None) -> bool:
    """Send a failed or discarded mail again; it gets AUTHSVC_MAIL_MAX_AGE_SECONDS from now."""
    now = timezone.now()
    retried = OutboundMail.objects.filter(pk=mail.pk, status__in=[MailStatus.FAILED, MailStatus.DISCARDED]).update(
        status=MailStatus.PENDING, give_up_at=_give_up_at(now), next_attempt_at=now, lease_until=None
    )
    if retried:
        transaction.on_commit(lambda: _enqueue_quietly(mail.mail_id))
        _announce_by_hand(signals.mail_retried, mail, request_meta)
    return bool(retried)


def outbound_mail_discard(*, mail: OutboundMail, request_meta: RequestMeta | None = None) -> bool:
    """Never send this mail (a pending or failed one); a worker holding it finishes its attempt."""
    discarded = OutboundMail.objects.filter(pk=mail.pk, status__in=[MailStatus.PENDING, MailStatus.FAILED]).update(
        status=MailStatus.DISCARDED, lease_until=None
    )
    if discarded:
        _announce_by_hand(signals.mail_discarded, mail, request_meta)
    return bool(discarded)


def _announce_by_hand(signal, mail: OutboundMail, request_meta: RequestMeta | None) -> None:
    """A retry or discard by staff or an operator, for the audit trail (never the address: the mail and user ids say whose)."""
    metadata = {"mail_id": str(mail.mail_id), "kind": mail.kind}
    signal.send(sender=OutboundMail, client=mail.client, user_id=mail.user_id, request_meta=request_meta, metadata=metadata)
