"""manage.py export_users <client_id> [--include-hashes] [-o FILE]"""

import json
import os
import sys
from pathlib import Path

from django.core.management.base import CommandError
from tqdm import tqdm

from accounts.flows.user_export import users_export
from accounts.selectors import user_count
from core.commands import ActorCommand
from tenants.cli import resolve_client


class Command(ActorCommand):
    help = (
        "Write a client's users as NDJSON, one user a line, oldest first, to stdout or -o FILE, in the "
        "format import_users reads: user_id, email, email_verified, is_active, custom_fields, created_at, "
        "and with --include-hashes password_hash (Django's encoded form). Progress goes to stderr. "
        "A file written with --include-hashes is readable by its owner only."
    )

    def add_arguments(self, parser):
        parser.add_argument("client_id")
        parser.add_argument("--include-hashes", action="store_true", help="Add each user's password hash (keep the file secret).")
        parser.add_argument("-o", "--output", type=Path, metavar="FILE", help="Write here instead of stdout.")

    def handle(self, *args, client_id: str, include_hashes: bool, output: Path | None, **options):
        client = resolve_client(client_id)
        records = users_export(
            client=client, include_hashes=include_hashes, source="command", request_meta=self.request_meta(options)
        )
        target = self._open(output) if output else None
        with tqdm(total=user_count(client=client), unit=" users", file=sys.stderr, dynamic_ncols=True) as bar:
            try:
                for record in records:
                    text = json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
                    target.write(text) if target else self.stdout.write(text, ending="")
                    bar.update(1)
            finally:
                records.close()  # audited now, also when writing failed
                if target is not None:
                    target.close()
        if output:
            self.stderr.write(f"Wrote {bar.n} users to {output}.")

    def _open(self, output: Path):
        try:
            # Owner-only from the start: the file may hold password hashes.
            return os.fdopen(os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="utf-8")
        except OSError as error:
            raise CommandError(f"Cannot write {str(output)[:200]!r}: {error.strerror}.") from None
