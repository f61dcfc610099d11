"""manage.py reseal_secrets [--progress-every N]"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from crypto.errors import SealingUnavailable
from crypto.resealing import ResealTally, column_reseal, sealed_columns
from crypto.sealed import seal, unseal

DEFAULT_PROGRESS_EVERY = 100


class Command(BaseCommand):
    help = (
        "Seal every stored secret (a client's SMTP URL, a user's TOTP secret) again under the first key of AUTHSVC_SEALING_KEYS: "
        "the step of a key rotation between listing a new key first and dropping the old ones. Idempotent; "
        "safe while the service runs (a value changed meanwhile is left as written). Exits non-zero if a value "
        "cannot be opened with any listed key: drop no key until it has been run without that."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--progress-every", type=int, default=DEFAULT_PROGRESS_EVERY, metavar="N", help="A progress line every N values (default 100)."
        )

    def handle(self, *args, progress_every: int, **options):
        self._check_keys()
        every = max(progress_every, 1)
        unreadable = 0
        for column in sealed_columns():
            tally = column_reseal(column, on_progress=self._progress_writer(column.name, every))
            self.stdout.write(_summary(column.name, tally))
            unreadable += tally.unreadable
        if unreadable:
            raise CommandError(
                f"{unreadable} value(s) cannot be opened with any key of AUTHSVC_SEALING_KEYS: keep listing the key they "
                "were sealed with, or set them again."
            )
        self.stdout.write(self.style.SUCCESS(f"Every sealed value is now sealed under the first of the {len(settings.AUTHSVC_SEALING_KEYS)} key(s)."))

    def _check_keys(self) -> None:
        try:
            unseal(seal("probe"))
        except SealingUnavailable as error:
            raise CommandError(error.detail) from None

    def _progress_writer(self, name: str, every: int):
        def write(done: int, total: int) -> None:
            if done % every == 0 or done == total:
                self.stdout.write(f"  {name}: {done}/{total}")
                self.stdout.flush()

        return write


def _summary(name: str, tally: ResealTally) -> str:
    return f"{name}: {tally.resealed} resealed, {tally.changed_meanwhile} changed meanwhile, {tally.unreadable} unreadable"
