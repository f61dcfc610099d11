"""manage.py purge_tokens [--revoked-older-than 1d] [--batch-size N] [--dry-run]"""

from datetime import timedelta

from django.utils import timezone

from accounts.flows.maintenance import tokens_purge
from accounts.selectors import mfa_challenges_purgeable, passkey_challenges_purgeable, tokens_purgeable
from core.commands import ActorCommand, add_batch_size_argument, age, iso, progress_writer


class Command(ActorCommand):
    help = (
        "Delete refresh-token rows that can never be used again: expired ones, and revoked ones "
        "older than --revoked-older-than. Live tokens, and spent ones still needed to detect "
        "reuse, are kept; and the rows of expired mfa_tokens and passkey challenges. Deletes in batches, printing progress."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--revoked-older-than",
            type=age,
            default=timedelta(days=1),
            metavar="AGE",
            help="Delete revoked tokens once revoked this long ago: Nd (days) or Nh (hours); default 1d.",
        )
        add_batch_size_argument(parser)
        parser.add_argument("--dry-run", action="store_true", help="Only count the rows that would be deleted.")

    def handle(self, *args, revoked_older_than: timedelta, batch_size: int, dry_run: bool, **options):
        now = timezone.now()
        revoked_before = now - revoked_older_than
        scope = f"expired, or revoked before {iso(revoked_before)}"
        if dry_run:
            count = tokens_purgeable(now=now, revoked_before=revoked_before).count()
            challenges = mfa_challenges_purgeable(now=now).count()
            passkey_challenges = passkey_challenges_purgeable(now=now).count()
            self.stdout.write(
                f"Would delete {count} token rows ({scope}), {challenges} expired mfa_token rows and {passkey_challenges} expired "
                "passkey challenges; dry run, nothing deleted."
            )
            return
        self.stdout.write(f"Deleting token rows {scope}, {batch_size} per batch.")
        total = tokens_purge(
            revoked_before=revoked_before, batch_size=batch_size, on_batch=progress_writer(self.stdout, "token rows"),
            request_meta=self.request_meta(options),
        )
        self.stdout.write(self.style.SUCCESS(f"Deleted {total} token rows."))
