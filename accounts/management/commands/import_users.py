"""manage.py import_users <client_id> FILE.ndjson [--batch-size N]"""

import sys
from pathlib import Path

from django.core.management.base import CommandError
from tqdm import tqdm

from accounts.flows.user_import import DEFAULT_BATCH_SIZE, ImportReport, users_import
from core.commands import ActorCommand, positive_int
from tenants.cli import resolve_client


class Command(ActorCommand):
    help = (
        "Import users from an NDJSON file, one JSON object a line: email, password or password_hash "
        "(bcrypt $2a$/$2b$/$2y$, $argon2id$, Django's pbkdf2_sha256$/argon2$/bcrypt_sha256$/bcrypt$/scrypt$), "
        "and optionally email_verified, is_active, custom_fields, created_at, user_id (docs/api.md §11). "
        "Progress goes to stderr; the report (created, skipped as duplicate, invalid with line numbers) "
        "to stdout. Idempotent: users already there are skipped, so after an interruption run the same "
        "command again to resume."
    )

    def add_arguments(self, parser):
        parser.add_argument("client_id")
        parser.add_argument("file", type=Path, metavar="FILE.ndjson")
        parser.add_argument(
            "--batch-size", type=positive_int, default=DEFAULT_BATCH_SIZE, metavar="N",
            help=f"Users written per statement (default {DEFAULT_BATCH_SIZE}).",
        )

    def handle(self, *args, client_id: str, file: Path, batch_size: int, **options):
        client = resolve_client(client_id)
        try:
            with file.open("rb") as counting:
                total = sum(1 for _ in counting)
            source = file.open("rb")
        except OSError as error:
            raise CommandError(f"Cannot read {str(file)[:200]!r}: {error.strerror}.") from None
        with source, tqdm(total=total, unit=" lines", file=sys.stderr, dynamic_ncols=True) as bar:
            report = users_import(
                client=client,
                records=enumerate(source, start=1),
                request_meta=self.request_meta(options),
                source="command",
                batch_size=batch_size,
                on_batch=lambda _report, line: bar.update(line - bar.n),
            )
            bar.update(total - bar.n)
        self._print(report)

    def _print(self, report: ImportReport) -> None:
        for line, reason in sorted(report.invalid_lines):
            self.stdout.write(f"line {line}: invalid: {reason}")
        if report.duplicate_lines:
            self.stdout.write(f"skipped as duplicate: lines {line_ranges(sorted(report.duplicate_lines))}")
        listed = len(report.invalid_lines) + len(report.duplicate_lines)
        if listed < report.invalid + report.duplicates:
            self.stdout.write(f"(only the first {listed} line numbers are listed)")
        summary = (
            f"{report.lines} lines: created {report.created}, skipped as duplicate {report.duplicates}, "
            f"invalid {report.invalid}."
        )
        self.stdout.write(self.style.SUCCESS(summary) if not report.invalid else self.style.WARNING(summary))


def line_ranges(lines: list[int]) -> str:
    """`1-500, 731, 900-902`: a resumed import skips long runs of lines."""
    spans: list[list[int]] = []
    for line in lines:
        if spans and line == spans[-1][1] + 1:
            spans[-1][1] = line
        else:
            spans.append([line, line])
    return ", ".join(str(first) if first == last else f"{first}-{last}" for first, last in spans)
