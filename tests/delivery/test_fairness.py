"""Clients take turns: one client's backlog, queued first and sent to a receiver that never answers
in time, does not hold back another client's deliveries (real receivers on loopback, real RQ jobs)."""

import json
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from rq import SimpleWorker

from delivery import jobs
from delivery.models import Delivery, Status
from delivery.services import delivery_queue
from tests.conftest import make_tenant
from tests.delivery.conftest import HOOK

pytestmark = pytest.mark.django_db(transaction=True)


def backlog(client, *, target: str, count: int, kind: str = HOOK) -> list[Delivery]:
    """`count` due rows of `client`, each with its job, queued in one go (as a burst of events would be)."""
    rows = Delivery.objects.bulk_create(
        Delivery(client=client, kind=kind, topic="ping", target=target, payload={"client": client.client_name, "n": n},
                 give_up_at=timezone.now() + timedelta(hours=1))
        for n in range(count)
    )
    for row in rows:
        jobs.enqueue(row.delivery_id)
    return rows


def queue_one(client, *, target: str) -> Delivery:
    with transaction.atomic():
        return delivery_queue(client=client, kind=HOOK, topic="ping", target=target, payload={"client": client.client_name, "n": 0})


def run_jobs(count: int) -> None:
    """Run the next `count` jobs of the delivery queue, in order, in this process."""
    queue = jobs.delivery_queue()
    SimpleWorker([queue], connection=queue.connection).work(burst=True, max_jobs=count, logging_level="WARNING")


def senders(receiver) -> list[str]:
    return [json.loads(received.body)["client"] for received in receiver.received]


def test_a_backlog_to_a_slow_receiver_does_not_hold_back_another_client(hook_kind, hook_receiver, second_receiver):
    """Client A's 1,000 deliveries are queued first, to a receiver that holds every answer past the
    deadline; client B's one delivery, queued last, is sent within two jobs while A's backlog waits."""
    hook_receiver.slow = True
    stuck, punctual = make_tenant("Backlog Co").client, make_tenant("Punctual Co").client
    backlog(stuck, target=hook_receiver.url(), count=1000)
    queued = queue_one(punctual, target=second_receiver.url())

    run_jobs(2)

    assert Delivery.objects.get(pk=queued.pk).status == Status.SENT
    assert senders(second_receiver) == ["Punctual Co"]
    assert Delivery.objects.filter(client=stuck, status=Status.PENDING).count() == 1000
    assert Delivery.objects.filter(client=stuck, attempts__gt=0).count() <= 1


def test_clients_with_backlogs_are_served_in_turn(hook_kind, hook_receiver):
    """Three clients' backlogs queued one after the other: each run of three jobs sends one delivery of each."""
    clients = [make_tenant(f"Client {letter}").client for letter in "ABC"]
    for client, count in zip(clients, (6, 4, 2), strict=True):
        backlog(client, target=hook_receiver.url(), count=count)

    run_jobs(3)
    assert sorted(senders(hook_receiver)) == ["Client A", "Client B", "Client C"]
    run_jobs(3)
    assert sorted(senders(hook_receiver)[3:]) == ["Client A", "Client B", "Client C"]

    run_jobs(100)
    assert Delivery.objects.filter(status=Status.SENT).count() == 12 and len(hook_receiver.received) == 12


def test_rows_of_a_kind_no_app_registers_do_not_take_a_turn(hook_kind, hook_receiver):
    """Rows left by an uninstalled app wait unsent; they never take the turn of a deliverable row."""
    orphaned, served = make_tenant("Orphan Co").client, make_tenant("Served Co").client
    backlog(orphaned, target=hook_receiver.url(), count=3, kind="uninstalled")
    queued = queue_one(served, target=hook_receiver.url())

    run_jobs(1)

    assert Delivery.objects.get(pk=queued.pk).status == Status.SENT
    assert Delivery.objects.filter(kind="uninstalled", status=Status.PENDING, attempts=0).count() == 3
