"""manage.py mail_worker [--burst]: one worker of the mail outbox (run as many as you like)."""

from django.core.management.base import BaseCommand
from django.db import connections
from rq import Worker

from accounts.outbox import mail_queue, outbox_sweep, outbox_sweep_schedule


class Command(BaseCommand):
    help = (
        "Send the mails requests queued (verification, password reset): an RQ worker on the "
        "`mail` queue of the service's Redis, with RQ's scheduler for retries. It first enqueues "
        "every mail that is due (queued while no worker or Redis ran), then sweeps again every "
        "AUTHSVC_MAIL_SWEEP_SECONDS. Run one or more per machine; stop with SIGTERM."
    )

    def add_arguments(self, parser):
        parser.add_argument("--burst", action="store_true", help="Send what is due now, then exit.")

    def handle(self, *args, burst: bool, **options):
        swept = outbox_sweep()
        self.stdout.write(
            f"Outbox: {swept.enqueued} mail(s) due enqueued, {swept.failed} too old failed, {swept.dropped} stand-in(s) deleted."
        )
        if not burst:
            outbox_sweep_schedule()
        # RQ forks a work horse per job: it must open its own database connections, never
        # share the parent's sockets.
        connections.close_all()
        worker = Worker([mail_queue()], connection=mail_queue().connection)
        worker.work(burst=burst, with_scheduler=not burst, logging_level="WARNING")
