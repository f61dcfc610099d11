"""manage.py purge_audit --older-than 90d [--batch-size N] [--dry-run]"""

from datetime import timedelta

from django.utils import timezone

from audit.selectors import audit_older_than
from audit.services import audit_purge
from core.commands import ActorCommand, add_batch_size_argument, age, iso, progress_writer


class Command(ActorCommand):
    help = (
        "Delete audit records older than --older-than (every client's), in batches so that a "
        "large purge never holds the store for long; prints progress and the final count."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than",
            type=age,
            required=True,
            metavar="AGE",
            help="Delete records written longer ago than this: Nd (days) or Nh (hours), e.g. 90d.",
        )
        add_batch_size_argument(parser)
        parser.add_argument("--dry-run", action="store_true", help="Only count the records that would be deleted.")

    def handle(self, *args, older_than: timedelta, batch_size: int, dry_run: bool, **options):
        # One cut-off for the whole run: records written meanwhile are never chased.
        before = timezone.now() - older_than
        if dry_run:
            count = audit_older_than(before=before).count()
            self.stdout.write(f"Would delete {count} audit records older than {iso(before)}; dry run, nothing deleted.")
            return
        self.stdout.write(f"Deleting audit records older than {iso(before)}, {batch_size} per batch.")
        total = audit_purge(
            before=before,
            batch_size=batch_size,
            on_batch=progress_writer(self.stdout, "audit records"),
            request_meta=self.request_meta(options),
        )
        self.stdout.write(self.style.SUCCESS(f"Deleted {total} audit records."))
