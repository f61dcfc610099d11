"""manage.py rotate_signing_key [--keep N]"""

from argparse import ArgumentTypeError

from django.core.management.base import BaseCommand, CommandError

from accounts.signing_keys import key_file_path, keyring_loader

DEFAULT_KEEP = 2


def non_negative(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = -1
    if number < 0:
        raise ArgumentTypeError(f"must be a whole number, 0 or more (got {value!r})")
    return number


class Command(BaseCommand):
    help = (
        "Generate a new RS256 signing key: it signs every token from now on, while the previous "
        "keys stay in the JWKS document so that tokens they signed keep verifying until they expire."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--keep",
            type=non_negative,
            default=DEFAULT_KEEP,
            metavar="N",
            help=f"How many previous keys to keep publishing (default {DEFAULT_KEEP}). "
            "Keep at least one while tokens signed by the current key may still be live.",
        )

    def handle(self, *args, keep: int, **options):
        try:
            ring = keyring_loader.rotate(keep=keep)
        # A missing, unreadable or corrupt key file is an operator's problem to fix, not a traceback.
        except (OSError, ValueError, TypeError) as error:
            raise CommandError(f"Could not rotate the signing key in {key_file_path()}: {error}") from None
        self.stdout.write(self.style.SUCCESS(f"New signing key: {ring.current.kid}"))
        self.stdout.write("Published in the JWKS document (newest first):")
        for key in ring.keys:
            self.stdout.write(f"  {key.kid}")
