"""manage.py delivery_worker [--burst]: one worker of the delivery engine (run as many as you like)."""

from django.core.management.base import BaseCommand
from django.db import connections
from rq import Worker

from delivery.jobs import delivery_queue, sweep_schedule
from delivery.services import deliveries_sweep


class Command(BaseCommand):
    help = (
        "Deliver what requests queued, of every kind (mail: verification, password reset): an RQ "
        "worker on the `delivery` queue of the service's Redis, with RQ's scheduler for retries. It "
        "first enqueues every delivery that is due (queued while no worker or Redis ran), then "
        "sweeps again regularly (AUTHSVC_MAIL_SWEEP_SECONDS). Run one or more per machine; stop "
        "with SIGTERM."
    )
    noun = "delivery(ies)"  # as the operator calls what it sends

    def add_arguments(self, parser):
        parser.add_argument("--burst", action="store_true", help="Send what is due now, then exit.")

    def handle(self, *args, burst: bool, **options):
        swept = deliveries_sweep()
        self.stdout.write(
            f"Outbox: {swept.enqueued} {self.noun} due enqueued, {swept.failed} too old failed, {swept.dropped} stand-in(s) deleted."
        )
        if not burst:
            sweep_schedule()
        # RQ forks a work horse per job: it must open its own database connections, never
        # share the parent's sockets.
        connections.close_all()
        queue = delivery_queue()
        Worker([queue], connection=queue.connection).work(burst=burst, with_scheduler=not burst, logging_level="WARNING")
