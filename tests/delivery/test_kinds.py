"""A kind registered by an app gets the whole engine: queue after commit, claim, retry, give-up,
dead letters in the admin and the operators' commands, without a line of its own for them."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from audit.models import AuditLog
from delivery.models import Delivery, Status
from delivery.services import deliveries_sweep, delivery_deliver, delivery_queue
from tests.conftest import make_tenant
from tests.delivery.conftest import PROBE
from tests.mail import deliver_queued_mail

pytestmark = pytest.mark.django_db(transaction=True)


def queue_probe(url: str, **payload) -> Delivery:
    with transaction.atomic():
        return delivery_queue(client=make_tenant("Hooked Co").client, kind=PROBE, topic="ping", target=url, payload=payload)


def row(delivery: Delivery) -> Delivery:
    return Delivery.objects.get(pk=delivery.pk)


def test_a_registered_kind_is_sent_once_with_its_id_as_idempotency_key(probe):
    """Queued in a transaction, enqueued at commit, sent by the worker, marked sent; a second job
    for the same row sends nothing."""
    queued = queue_probe(probe.receiver.url, user="ada")
    deliver_queued_mail(sweep=False)
    assert delivery_deliver(delivery_id=str(queued.pk)).outcome == "skipped"

    assert probe.receiver.received == [({"user": "ada"}, str(queued.delivery_id))]
    sent = row(queued)
    assert (sent.status, sent.attempts) == (Status.SENT, 1) and sent.sent_at is not None


def test_a_registered_kind_that_fails_is_retried_then_given_up_through_its_own_hook(probe):
    """A receiver answering 503: the attempt is recorded and backs off; past its give-up time the
    sweep fails it and calls the kind's on_give_up (mail's audit record is mail's own)."""
    probe.receiver.status = 503
    queued = queue_probe(probe.receiver.url)
    deliver_queued_mail(sweep=False)
    failed_once = row(queued)
    assert (failed_once.status, failed_once.attempts, failed_once.last_error) == (Status.PENDING, 1, "HTTPError")
    assert timezone.now() + timedelta(seconds=14) < failed_once.next_attempt_at < timezone.now() + timedelta(seconds=31)

    Delivery.objects.filter(pk=queued.pk).update(give_up_at=timezone.now() - timedelta(seconds=1), next_attempt_at=timezone.now())
    assert deliveries_sweep().failed == 1

    assert row(queued).status == Status.FAILED
    assert probe.given_up == [str(queued.delivery_id)]
    assert not AuditLog.objects.filter(action="mail_delivery").exists()


def test_a_delivery_its_kind_no_longer_wants_is_discarded_unsent(probe):
    """The kind's `wanted` says no at send time: discarded, nothing sent."""
    queued = queue_probe(probe.receiver.url, cancelled=True)
    deliver_queued_mail(sweep=False)
    assert (row(queued).status, probe.receiver.received) == (Status.DISCARDED, [])


def test_staff_retry_a_dead_letter_of_any_kind_from_the_admin(probe, admin_client):
    """The admin lists every kind's dead letters with the same Retry action."""
    queued = queue_probe(probe.receiver.url, user="ada")
    Delivery.objects.filter(pk=queued.pk).update(status=Status.FAILED)
    page = admin_client.get("/admin/delivery/delivery/?status__exact=failed&kind__exact=probe").content.decode()
    assert probe.receiver.url in page

    response = admin_client.post("/admin/delivery/delivery/", {"action": "retry_deliveries", "_selected_action": [str(queued.pk)]}, follow=True)
    assert b"Queued 1 delivery again" in response.content
    deliver_queued_mail(sweep=False)
    assert row(queued).status == Status.SENT and len(probe.receiver.received) == 1


def test_manage_py_delivery_outbox_counts_one_kind_and_retries_its_dead_letters(probe, capsys):
    """--kind limits the counts and the actions to one kind; targets are never printed."""
    queued = queue_probe(probe.receiver.url)
    Delivery.objects.filter(pk=queued.pk).update(status=Status.FAILED)

    call_command("delivery_outbox", "--kind", PROBE, "--retry-failed")
    printed = capsys.readouterr().out
    assert "Retried 1 failed delivery(ies)." in printed and "pending         1  (probe:ping 1)" in printed
    assert probe.receiver.url not in printed
    call_command("delivery_worker", "--burst")
    assert row(queued).status == Status.SENT
