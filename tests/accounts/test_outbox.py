"""The mail outbox: requests queue, RQ workers send over real SMTP on loopback, nothing is lost."""

import random
import threading
import time
import uuid
from datetime import timedelta
from urllib.parse import unquote, urlsplit

import pytest
from django.core.management import call_command
from django.utils import timezone
from rq import SimpleWorker
from rq.job import Job

from accounts.models import MailKind
from accounts.outbox import mail_policy
from audit.models import AuditLog
from clientapi import ratelimits
from delivery.jobs import SWEEP_JOB_IDS, delivery_queue, sweep_schedule
from delivery.models import Delivery, Status
from delivery.services import deliveries_sweep, delivery_deliver, retry_intervals
from tenants.user_models import user_model_for
from tests.accounts.conftest import PASSWORD, call, work_of
from tests.concurrency import at_once
from tests.conftest import make_tenant
from tests.mail import deliver_queued_mail

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def verifying_tenant(transactional_db):
    return make_tenant("Mailer Co", require_email_verification=True)


def sign_up(tenant, email: str) -> str:
    """A sign-up of a client that verifies emails (no tokens until verified): the user's id."""
    response = call(tenant, "signup", {"email": email, "password": PASSWORD})
    assert response.status_code == 201, response.content
    return response.json()["user_id"]


def mails(**filters) -> list[Delivery]:
    return list(Delivery.objects.filter(kind="mail", **filters).order_by("created_at"))


def held_relay(smtp_server) -> tuple[threading.Event, list]:
    """Make the relay hold every message until the event is set (a relay that hangs); the list
    gets the messages it let through."""
    release = threading.Event()
    delivered = smtp_server.received

    class Holding(list):
        def append(self, message):
            release.wait(timeout=30)
            delivered.append(message)

    smtp_server.received = Holding()
    return release, delivered


# --- requests never touch SMTP -------------------------------------------------------------------


MAILING_CALLS = {
    "signup": ("signup", {"email": "new@example.com", "password": PASSWORD}, 201),
    "resend": ("email/resend", {"email": "ada@example.com"}, 202),
    "forgot": ("password/forgot", {"email": "ada@example.com"}, 202),
}


@pytest.mark.parametrize("name", sorted(MAILING_CALLS))
def test_a_request_that_mails_answers_with_the_relay_down_and_the_mail_arrives_once_it_is_back(verifying_tenant, smtp_server, name):
    """Relay down: the call answers as usual with the mail queued; the worker fails, records why,
    and after the relay is back the sweep and a worker deliver it, exactly once."""
    sign_up(verifying_tenant, "ada@example.com")
    deliver_queued_mail()
    smtp_server.received.clear()
    path, body, status = MAILING_CALLS[name]
    smtp_server.stop()

    assert call(verifying_tenant, path, body).status_code == status
    [queued] = mails(status=Status.PENDING)
    deliver_queued_mail()

    [failed_once] = mails(status=Status.PENDING)
    assert (failed_once.delivery_id, failed_once.attempts) == (queued.delivery_id, 1)
    assert failed_once.last_error and failed_once.next_attempt_at > timezone.now()

    smtp_server.start()
    Delivery.objects.filter(pk=queued.pk).update(next_attempt_at=timezone.now())  # the retry is due
    deliver_queued_mail()
    deliver_queued_mail()

    assert len(smtp_server.received) == 1
    assert smtp_server.received[0]["To"] == body["email"]
    sent = Delivery.objects.get(pk=queued.pk)
    assert (sent.status, sent.attempts) == (Status.SENT, 2) and sent.sent_at is not None


def test_requests_that_mail_answer_while_the_relay_hangs(verifying_tenant, smtp_server):
    """A relay that holds every message: sign-up, resend and forgot still answer; the mails
    wait in the outbox and go once a worker runs and the relay lets them through."""
    release, delivered = held_relay(smtp_server)
    try:
        assert call(verifying_tenant, "signup", {"email": "ada@example.com", "password": PASSWORD}).status_code == 201
        assert call(verifying_tenant, "email/resend", {"email": "ada@example.com"}).status_code == 202
        assert call(verifying_tenant, "password/forgot", {"email": "ada@example.com"}).status_code == 202
        assert len(mails(status=Status.PENDING)) == 3
    finally:
        release.set()
    deliver_queued_mail()
    assert sorted(message["Subject"].split(" for ")[0] for message in delivered) == [
        "Reset your password",
        "Verify your email address",
        "Verify your email address",
    ]


# --- an email that gets no mail: the same answer, the same work -----------------------------------

# The addresses of a client that verifies emails: "ada" is active and unverified, so both calls
# mail her; a call for any of the others mails nobody.
ADDRESSES = {
    "mailed": "ada@example.com",
    "unknown": "nobody@example.com",
    "verified": "vera@example.com",
    "deactivated": "dee@example.com",
}
NOT_MAILED = [
    ("password/forgot", "unknown"),
    ("password/forgot", "deactivated"),
    ("email/resend", "unknown"),
    ("email/resend", "verified"),
    ("email/resend", "deactivated"),
]


@pytest.fixture
def addresses(verifying_tenant) -> dict[str, str]:
    users = user_model_for(verifying_tenant.client.client_id).objects
    for email in (ADDRESSES["mailed"], ADDRESSES["verified"], ADDRESSES["deactivated"]):
        sign_up(verifying_tenant, email)
    users.filter(email=ADDRESSES["verified"]).update(email_verified=True)
    users.filter(email=ADDRESSES["deactivated"]).update(is_active=False)
    deliver_queued_mail()
    return ADDRESSES


@pytest.mark.parametrize(("path", "other"), NOT_MAILED)
def test_forgot_and_resend_do_the_same_store_and_redis_work_whether_or_not_they_mail(
    verifying_tenant, addresses, settings, monkeypatch, path, other
):
    """Same answer, same database statements, same Redis commands (values aside) for an email
    that gets the mail and one that does not: the work, hence the clock, tells nothing."""
    settings.AUTHSVC_ACCESS_KEY_CACHE_SECONDS = 3600  # no key lookup in either call
    # Every call counts its key in Redis (slices would count one call in 16, whichever the email).
    monkeypatch.setattr(ratelimits, "access_key_slices", ratelimits.EveryCall())
    answers = {}

    def ask(name: str):
        return lambda: answers.setdefault(name, call(verifying_tenant, path, {"email": addresses[name]}))

    ask("mailed")()  # first calls of each: counters and caches are made
    ask(other)()
    answers.clear()
    mailed, not_mailed = work_of(ask("mailed")), work_of(ask(other))

    assert answers["mailed"].status_code == answers[other].status_code == 202
    assert answers["mailed"].json() == answers[other].json()
    assert any("deliveries" in statement for statement in mailed.statements)
    assert any(command.startswith("HSET rq:job:") for command in mailed.redis_commands), mailed.redis_commands
    assert not_mailed == mailed
    # Only what decides the mail is read: a password hash or custom fields (of any size) are not.
    assert not any("password_hash" in statement or "custom_fields" in statement for statement in mailed.statements)


@pytest.mark.parametrize(("path", "other"), NOT_MAILED)
def test_an_email_that_gets_no_mail_leaves_a_stand_in_without_address_that_a_worker_drops(
    verifying_tenant, addresses, smtp_server, path, other
):
    """The row such a call writes names no user and no address; the worker deletes it, sends
    nothing and audits no failed delivery."""
    smtp_server.received.clear()
    assert call(verifying_tenant, path, {"email": addresses[other]}).status_code == 202

    [stand_in] = mails(status=Status.PENDING)
    assert (stand_in.payload, stand_in.target) == ({"user_id": None}, "")
    assert addresses[other] not in repr(Delivery.objects.values().get(pk=stand_in.pk))
    assert delivery_deliver(delivery_id=str(stand_in.pk)).outcome == "dropped"

    assert not Delivery.objects.filter(pk=stand_in.pk).exists()
    assert smtp_server.received == []
    assert not AuditLog.objects.filter(action="mail_delivery").exists()


def test_stand_ins_whose_job_was_lost_are_deleted_by_the_next_worker_even_past_their_give_up_time(
    verifying_tenant, addresses, smtp_server, capsys
):
    """Redis lost the jobs: the sweep a worker runs at start deletes the stand-ins (never fails
    or audits them) and the real mail is still sent."""
    smtp_server.received.clear()
    for name in ("mailed", "unknown", "deactivated"):
        call(verifying_tenant, "password/forgot", {"email": addresses[name]})
    delivery_queue().empty()
    Delivery.objects.filter(target="").update(give_up_at=timezone.now() - timedelta(seconds=1))

    call_command("mail_worker", "--burst")

    assert "1 mail(s) due enqueued, 0 too old failed, 2 stand-in(s) deleted" in capsys.readouterr().out
    assert [(mail.target, mail.status) for mail in mails(topic=MailKind.PASSWORD_RESET)] == [(addresses["mailed"], Status.SENT)]
    assert [message["To"] for message in smtp_server.received] == [addresses["mailed"]]
    assert not AuditLog.objects.filter(action="mail_delivery").exists()


# --- delivery semantics ----------------------------------------------------------------------


def test_a_mail_enqueued_twice_is_sent_once_with_its_id_as_message_id(verifying_tenant, smtp_server):
    """The sweep enqueues what the request already enqueued: the second job finds the row sent."""
    sign_up(verifying_tenant, "ada@example.com")
    [queued] = mails()
    deliveries_sweep()
    deliver_queued_mail()
    deliveries_sweep()
    deliver_queued_mail()

    assert len(smtp_server.received) == 1
    assert str(queued.delivery_id) in smtp_server.received[0]["Message-ID"]
    assert mails()[0].attempts == 1


def test_a_mail_held_by_a_worker_that_died_is_sent_once_its_lease_runs_out(verifying_tenant, smtp_server):
    """A worker killed mid-send leaves the row `sending`: nobody takes it while its lease runs,
    the next attempt does once it ran out."""
    sign_up(verifying_tenant, "ada@example.com")
    [mail] = mails()
    Delivery.objects.filter(pk=mail.pk).update(
        status=Status.SENDING, attempts=1, lease_until=timezone.now() + timedelta(minutes=5)
    )
    assert delivery_deliver(delivery_id=str(mail.pk)).outcome == "skipped"
    assert smtp_server.received == []

    Delivery.objects.filter(pk=mail.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
    assert deliveries_sweep().enqueued == 1
    deliver_queued_mail(sweep=False)

    assert len(smtp_server.received) == 1
    assert mails()[0].status == Status.SENT


def test_two_workers_racing_for_one_mail_send_it_once(verifying_tenant, smtp_server):
    """Claiming is a conditional update: of two deliveries of one row, one sends, one skips."""
    sign_up(verifying_tenant, "ada@example.com")
    [mail] = mails()

    outcomes = at_once(2, lambda: delivery_deliver(delivery_id=str(mail.pk)).outcome)

    assert sorted(outcomes) == ["sent", "skipped"]
    assert len(smtp_server.received) == 1


NO_LONGER_WANTED = {
    "verified": lambda users, user_id: users.filter(pk=user_id).update(email_verified=True),
    "deactivated": lambda users, user_id: users.filter(pk=user_id).update(is_active=False),
    "deleted": lambda users, user_id: users.filter(pk=user_id).delete(),
}


@pytest.mark.parametrize("change", sorted(NO_LONGER_WANTED))
def test_a_mail_no_longer_wanted_is_discarded_unsent(verifying_tenant, smtp_server, change):
    """The user verified, was deactivated or deleted before the worker ran: no mail goes."""
    user_id = sign_up(verifying_tenant, "ada@example.com")
    NO_LONGER_WANTED[change](user_model_for(verifying_tenant.client.client_id).objects, user_id)
    deliver_queued_mail()
    assert smtp_server.received == []
    assert mails()[0].status == Status.DISCARDED


def test_no_outbox_row_holds_a_token_and_the_mailed_link_works(verifying_tenant, smtp_server):
    """The link's token is minted when the mail is sent: the row has none, the mail's works."""
    sign_up(verifying_tenant, "ada@example.com")
    [row] = Delivery.objects.values()
    deliver_queued_mail()
    body = smtp_server.received[0].get_body(("plain",)).get_content()
    token = unquote(body.split("token=", 1)[1].split()[0])
    assert token not in repr(row)
    assert call(verifying_tenant, "email/verify", {"token": token}).status_code == 200


def test_a_mail_past_its_give_up_time_fails_and_is_audited(verifying_tenant, smtp_server):
    """Never sent by give_up_at (AUTHSVC_MAIL_MAX_AGE_SECONDS after queueing): failed, not sent, one audit record."""
    sign_up(verifying_tenant, "ada@example.com")
    [mail] = mails()
    Delivery.objects.filter(pk=mail.pk).update(give_up_at=timezone.now() - timedelta(seconds=1))

    assert deliveries_sweep().failed == 1
    deliver_queued_mail(sweep=False)

    assert smtp_server.received == []
    assert mails()[0].status == Status.FAILED
    record = AuditLog.objects.get(action="mail_delivery")
    assert (record.status, record.reason, record.metadata["mail_id"]) == ("failed", "undelivered", str(mail.pk))


@pytest.mark.parametrize("seed", range(5))
def test_retries_back_off_exponentially_with_jitter_up_to_the_cap(settings, seed):
    """Each delay lies between half and all of its doubling step; steps stop growing at the cap."""
    settings.AUTHSVC_MAIL_RETRY_SECONDS, settings.AUTHSVC_MAIL_RETRY_MAX_SECONDS = 30, 600
    delays = retry_intervals(8, policy=mail_policy(), rng=random.Random(seed))
    steps = [30, 60, 120, 240, 480, 600, 600, 600]
    assert all(step / 2 <= delay <= step for delay, step in zip(delays, steps, strict=True))


# --- staff and operators -----------------------------------------------------------------------


def failed_mail(tenant) -> Delivery:
    sign_up(tenant, f"user-{uuid.uuid4().hex[:8]}@example.com")
    mail = mails()[-1]
    Delivery.objects.filter(pk=mail.pk).update(status=Status.FAILED)
    return mail


def test_staff_retry_a_dead_letter_from_the_admin_and_it_is_delivered(verifying_tenant, smtp_server, admin_client):
    """The admin's retry action queues a failed mail again; a worker then sends it."""
    mail = failed_mail(verifying_tenant)
    response = admin_client.post(
        "/admin/delivery/delivery/", {"action": "retry_deliveries", "_selected_action": [str(mail.pk)]}, follow=True
    )
    assert response.status_code == 200
    assert b"Queued 1 delivery again" in response.content
    deliver_queued_mail(sweep=False)
    assert mails()[0].status == Status.SENT
    assert len(smtp_server.received) == 1


def test_staff_discard_a_dead_letter_from_the_admin(verifying_tenant, smtp_server, admin_client):
    """The discard action: never sent, even by a later sweep."""
    mail = failed_mail(verifying_tenant)
    admin_client.post("/admin/delivery/delivery/", {"action": "discard_deliveries", "_selected_action": [str(mail.pk)]})
    deliver_queued_mail()
    assert mails()[0].status == Status.DISCARDED
    assert smtp_server.received == []


def test_the_dead_letter_list_shows_failed_mails_without_tokens(verifying_tenant, admin_client):
    """Filtering status=failed lists the dead letters: recipient, kind, attempts, last error."""
    mail = failed_mail(verifying_tenant)
    page = admin_client.get("/admin/delivery/delivery/?status__exact=failed").content.decode()
    assert mail.target in page
    assert "token=" not in page


def test_manage_py_mail_outbox_counts_and_retries_the_dead_letters(verifying_tenant, smtp_server, capsys):
    """Counts per status and kind, never an address; --retry-failed queues them again."""
    mail = failed_mail(verifying_tenant)
    call_command("mail_outbox")
    counted = capsys.readouterr().out
    assert "failed" in counted and "verify_email 1" in counted
    assert mail.target not in counted

    call_command("mail_outbox", "--retry-failed")
    assert "Retried 1 failed mail(s)." in capsys.readouterr().out
    deliver_queued_mail(sweep=False)
    assert len(smtp_server.received) == 1


def test_manage_py_mail_worker_burst_sends_what_is_due(verifying_tenant, smtp_server, capsys):
    """The production worker command (RQ, one forked work horse per mail) in burst mode."""
    sign_up(verifying_tenant, "ada@example.com")
    call_command("mail_worker", "--burst")
    assert "mail(s) due enqueued" in capsys.readouterr().out
    assert len(smtp_server.received) == 1
    assert mails()[0].status == Status.SENT


def test_a_mail_whose_enqueue_was_lost_is_sent_by_the_next_worker(verifying_tenant, smtp_server):
    """The row is the truth: with the queue emptied after the request (a crash, Redis restarted),
    the sweep a worker runs at start finds the mail and sends it."""
    sign_up(verifying_tenant, "ada@example.com")
    delivery_queue().empty()
    call_command("mail_worker", "--burst")
    assert len(smtp_server.received) == 1


def test_the_sweep_keeps_itself_scheduled_when_run_by_a_worker(verifying_tenant, settings):
    """A worker's start schedules a sweep; run by RQ, each sweep schedules the next (the other of
    two job ids, so the finished job's clean-up never deletes it); starting twice adds none."""
    settings.AUTHSVC_MAIL_SWEEP_SECONDS = 1
    queue = delivery_queue()
    sweep_schedule()
    sweep_schedule()
    assert queue.scheduled_job_registry.get_job_ids() == [SWEEP_JOB_IDS[0]]

    for expected in (SWEEP_JOB_IDS[1], SWEEP_JOB_IDS[0]):
        time.sleep(1.2)
        SimpleWorker([queue], connection=queue.connection).work(burst=True, with_scheduler=True, logging_level="WARNING")
        assert queue.scheduled_job_registry.get_job_ids() == [expected]
        assert Job.fetch(expected, connection=queue.connection).func_name == "delivery.services.deliveries_sweep_job"


def test_the_documented_mail_defaults():
    """README: retries from 30 s doubling up to an hour, given up after 24 h, swept every minute."""
    from django.conf import settings

    assert (
        settings.AUTHSVC_MAIL_RETRY_SECONDS,
        settings.AUTHSVC_MAIL_RETRY_MAX_SECONDS,
        settings.AUTHSVC_MAIL_MAX_AGE_SECONDS,
        settings.AUTHSVC_MAIL_SWEEP_SECONDS,
    ) == (30, 3600, 86400, 60)


def test_a_failed_send_is_retried_by_rqs_scheduler_when_due(verifying_tenant, smtp_server, settings):
    """No sweep: the failed attempt scheduled its own retry (RQ's scheduler), which sends it."""
    settings.AUTHSVC_MAIL_RETRY_SECONDS = 1
    smtp_server.stop()
    sign_up(verifying_tenant, "ada@example.com")
    deliver_queued_mail(sweep=False)
    [mail] = mails()
    assert (mail.status, mail.attempts) == (Status.PENDING, 1)
    assert len(delivery_queue().scheduled_job_registry.get_job_ids()) == 1

    smtp_server.start()
    time.sleep(1.5)
    queue = delivery_queue()
    SimpleWorker([queue], connection=queue.connection).work(burst=True, with_scheduler=True, logging_level="WARNING")

    assert len(smtp_server.received) == 1
    assert mails()[0].status == Status.SENT


def test_a_mail_sent_again_after_a_crash_keeps_its_message_id(verifying_tenant, smtp_server, settings):
    """At least once: a worker that died after the relay's OK leaves the row `sending`; the resend
    is the same message to the relay and the reader (one Message-ID, `<mail_id@host>`)."""
    sign_up(verifying_tenant, "ada@example.com")
    [mail] = mails()
    deliver_queued_mail()
    Delivery.objects.filter(pk=mail.pk).update(status=Status.SENDING, lease_until=timezone.now() - timedelta(seconds=1))
    deliver_queued_mail()

    first, second = smtp_server.received
    host = urlsplit(settings.AUTHSVC_PUBLIC_URL).hostname
    assert first["Message-ID"].strip() == second["Message-ID"].strip() == f"<{mail.delivery_id}@{host}>"
