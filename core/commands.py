"""Option types and progress output shared by the purge commands of accounts and audit."""

import argparse
import re
from datetime import datetime, timedelta

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
