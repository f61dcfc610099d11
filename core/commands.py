"""Shared by management commands of any app: the base of commands that change state (`--actor`),
and the option types and progress output of the purge commands."""

import argparse
import getpass
import os
import re
from datetime import datetime, timedelta

from django.core.management.base import BaseCommand

from core.request_meta import MAX_ACTOR_LENGTH, RequestMeta, operator_request_meta

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


def actor_name(value: str) -> str:
    """An --actor: printable, 1 to MAX_ACTOR_LENGTH characters once trimmed."""
    name = value.strip()
    if not name or len(name) > MAX_ACTOR_LENGTH or not name.isprintable():
        raise argparse.ArgumentTypeError(f"must be 1 to {MAX_ACTOR_LENGTH} printable characters (got {value[:32]!r}).")
    return name


def os_user() -> str:
    """The OS user running the command, as `getpass.getuser()` finds it; its uid when it has no name."""
    try:
        return actor_name(getpass.getuser())
    except (KeyError, OSError, argparse.ArgumentTypeError):  # no login name, no passwd entry (a bare container)
        return f"uid {os.getuid()}"


class ActorCommand(BaseCommand):
    """A command whose changes are audited: its records name the operator (--actor, default the OS
    user) and the command, as the admin's records name the staff member."""

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.add_argument(
            "--actor",
            type=actor_name,
            metavar="NAME",
            help="Who runs this, as audit records name them (default: the OS user running the command).",
        )
        self.command_name = subcommand
        return parser

    def request_meta(self, options: dict) -> RequestMeta:
        return operator_request_meta(actor=options.get("actor") or os_user(), command=self.command_name)
