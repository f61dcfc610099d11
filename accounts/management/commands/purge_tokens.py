"""manage.py purge_tokens [--revoked-older-than 1d] [--batch-size N] [--dry-run]

Also home of the option types and the progress line that `purge_audit` shares (audit may
import accounts, not the other way round).
"""

import argparse
import re
from datetime import datetime, timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone

from accounts.selectors import tokens_purgeable
from accounts.services import tokens_purge

AGE = re.compile(r"^([0-9]{1,6})([dh])$")
WHOLE_NUMBER = re.compile(r"^[0-9]{1,9}$")
UNITS = {"d": "days", "h": "hours"}
# Far enough for any retention policy, near enough that `now - age` stays a valid date.
MAX_AGE = timedelta(days=100 * 365)
DEFAULT_BATCH_SIZE = 1000


def age(value: str) -> timedelta:
    """`90d` or `12h`: a positive number of days or hours."""
    match = AGE.match(value.strip())
    if match is None or int(match[1]) == 0:
        raise argparse.ArgumentTypeError(f"{value[:32]!r} is not an age such as 90d or 12h (at least 1).")
    delta = timedelta(**{UNITS[match[2]]: int(match[1])})
    if delta > MAX_AGE:
        raise argparse.ArgumentTypeError(f"{value[:32]!r} is more than 100 years.")
    return delta


def positive_int(value: str) -> int:
    if not WHOLE_NUMBER.match(value.strip()) or int(value) < 1:
        raise argparse.ArgumentTypeError(f"{value[:32]!r} is not a whole number of at least 1.")
    return int(value)


def add_batch_size_argument(parser) -> None:
    parser.add_argument(
        "--batch-size",
        type=positive_int,
        default=DEFAULT_BATCH_SIZE,
        metavar="N",
        help=f"Rows deleted per statement (default {DEFAULT_BATCH_SIZE}); smaller batches hold the store for less time.",
    )


def progress_writer(stdout, noun: str):
    """An `on_batch` callback that prints one line per batch."""

    def write(deleted: int, total: int) -> None:
        stdout.write(f"  deleted {deleted} {noun} ({total} so far)")

    return write


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


class Command(BaseCommand):
    help = (
        "Delete refresh-token rows that can never be used again: expired ones, and revoked ones "
        "older than --revoked-older-than. Live tokens, and spent ones still needed to detect "
        "reuse, are kept. Deletes in batches, printing progress."
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
            self.stdout.write(f"Would delete {count} token rows ({scope}); dry run, nothing deleted.")
            return
        self.stdout.write(f"Deleting token rows {scope}, {batch_size} per batch.")
        total = tokens_purge(
            revoked_before=revoked_before, batch_size=batch_size, on_batch=progress_writer(self.stdout, "token rows")
        )
        self.stdout.write(self.style.SUCCESS(f"Deleted {total} token rows."))
