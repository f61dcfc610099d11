"""manage.py rotate_signing_key [--keep N] [--now]"""

from argparse import ArgumentTypeError

from django.conf import settings
from django.core.management.base import CommandError
from django.utils import timezone

from accounts.flows.maintenance import signing_key_rotate
from accounts.signing_keys import KeyStatus, Rotation, key_file_path
from core.commands import ActorCommand

DEFAULT_KEEP = 2


def non_negative(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = -1
    if number < 0:
        raise ArgumentTypeError(f"must be a whole number, 0 or more (got {value!r})")
    return number


def utc(moment) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC"


def describe(status: KeyStatus, now) -> str:
    key = status.key
    if status.state == "staged":
        return f"  {key.kid}  staged: signs from {utc(key.signs_from)}"
    if status.state == "signing":
        return f"  {key.kid}  signing"
    if status.retired_at is None:
        return f"  {key.kid}  retired, before the file recorded when"
    if not status.may_have_live_tokens(now):
        return f"  {key.kid}  retired: every token it signed has expired"
    return f"  {key.kid}  retired: tokens it signed may be unexpired until {utc(status.tokens_expired_by())}"


class Command(ActorCommand):
    help = (
        "Add a new RS256 signing key. It is published in the JWKS document at once and signs "
        f"AUTHSVC_JWT_KEY_STAGE_SECONDS later ({settings.AUTHSVC_JWT_KEY_STAGE_SECONDS} s; verifiers cache the "
        f"document for {settings.JWKS_MAX_AGE_SECONDS} s), so no verifier meets a token of a key it has not "
        "fetched. Keys that no longer sign stay published while tokens they signed may be unexpired."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--keep",
            type=non_negative,
            default=DEFAULT_KEEP,
            metavar="N",
            help=f"How many keys that no longer sign to keep publishing (default {DEFAULT_KEEP}); a key whose "
            "tokens may still be unexpired is kept anyway, unless --now.",
        )
        parser.add_argument(
            "--now",
            action="store_true",
            help="After a leak: the new key signs at once, and --keep alone decides which older keys stay "
            "(--keep 0 drops them all; their tokens stop verifying). Verifiers that cache the JWKS "
            "refuse new tokens until they fetch it again.",
        )

    def handle(self, *args, keep: int, now: bool, **options):
        try:
            rotation = signing_key_rotate(keep=keep, at_once=now, request_meta=self.request_meta(options))
        # A missing, unreadable or corrupt key file is an operator's problem to fix, not a traceback.
        except (OSError, ValueError, TypeError) as error:
            raise CommandError(f"Could not rotate the signing key in {key_file_path()}: {error}") from None
        self.report(rotation)

    def report(self, rotation: Rotation) -> None:
        new, now = rotation.new_key, timezone.now()
        if new.may_sign_at(now):
            self.stdout.write(self.style.SUCCESS(f"New signing key: {new.kid}, signing now."))
        else:
            self.stdout.write(self.style.SUCCESS(f"New signing key: {new.kid}, published now, signs from {utc(new.signs_from)}."))
        self.stdout.write("Published in the JWKS document (newest first):")
        for status in rotation.keyring.statuses(now):
            self.stdout.write(describe(status, now))
        for key in rotation.dropped:
            self.stdout.write(f"Dropped: {key.kid}")
