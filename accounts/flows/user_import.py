"""Import: users of another system (or another client) brought in with their passwords, in batches.

`users_import` reads numbered NDJSON lines (accounts/import_records.py), skips those whose
canonical email is already a user of the client or was taken earlier in the same import, and writes
the rest one batch at a time (one `bulk_create` each). Running it again on the same file creates
nothing twice: that is how an interrupted import resumes (`manage.py import_users`). It is
audited once, with counts, never an address (`users.imported`).
"""

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, router, transaction

from accounts.events import UsersImported
from accounts.import_records import ImportRecord, InvalidLine, read_record
from accounts.validation import validate_new_password
from core.errors import InvalidRequest
from core.events import publish
from core.request_meta import RequestMeta
from tenants.models import AbstractTenantUser, Client
from tenants.user_models import user_model_for

DEFAULT_BATCH_SIZE = 500
# Line numbers kept in a report, per kind: enough for any request (AUTHSVC_IMPORT_MAX_LINES), and
# a bounded report for a file of millions of lines whose counts still say everything.
MAX_LISTED = 10_000


@dataclass
class ImportReport:
    lines: int = 0  # non-blank lines read
    created: int = 0
    duplicates: int = 0
    invalid: int = 0
    duplicate_lines: list[int] = field(default_factory=list)
    invalid_lines: list[tuple[int, str]] = field(default_factory=list)  # (line, why)
    formats: Counter = field(default_factory=Counter)  # users created, by the form of their password

    def duplicate(self, line: int) -> None:
        self.duplicates += 1
        if len(self.duplicate_lines) < MAX_LISTED:
            self.duplicate_lines.append(line)

    def refuse(self, line: int, reason: str) -> None:
        self.invalid += 1
        if len(self.invalid_lines) < MAX_LISTED:
            self.invalid_lines.append((line, reason))

    def as_dict(self) -> dict:
        return {
            "lines": self.lines,
            "created": self.created,
            "skipped_duplicates": self.duplicates,
            "invalid": self.invalid,
            "duplicate_lines": sorted(self.duplicate_lines),
            "invalid_lines": [{"line": line, "reason": reason} for line, reason in sorted(self.invalid_lines)],
        }


def users_import(
    *,
    client: Client,
    records: Iterable[tuple[int, str | bytes]],
    request_meta: RequestMeta | None = None,
    source: str = "api",
    batch_size: int = DEFAULT_BATCH_SIZE,
    max_clear_passwords: int | None = None,
    on_batch: Callable[[ImportReport, int], None] | None = None,
) -> ImportReport:
    """Import `records`, (line number, text) pairs; blank lines are passed over.

    `max_clear_passwords`: how many lines may give a `password` in clear (each costs a bcrypt hash
    at our rounds); lines beyond are invalid. `on_batch(report, last_line)` after each batch written.
    """
    run = _Run(client=client, report=ImportReport(), max_clear_passwords=max_clear_passwords)
    completed = False
    try:
        batch: list[ImportRecord] = []
        for line, text in records:
            if not text.strip():
                continue
            run.report.lines += 1
            try:
                batch.append(read_record(line, text, client=client))
            except InvalidLine as invalid:
                run.report.refuse(line, invalid.reason)
            if len(batch) >= batch_size:
                run.write(batch)
                batch = []
                if on_batch is not None:
                    on_batch(run.report, line)
        run.write(batch)
        completed = True
    finally:
        _announce(client=client, report=run.report, source=source, completed=completed, request_meta=request_meta)
    return run.report


def _announce(*, client: Client, report: ImportReport, source: str, completed: bool, request_meta: RequestMeta | None) -> None:
    publish(
        UsersImported(
            client_id=client.client_id,
            request_meta=request_meta,
            source=source,
            completed=completed,
            lines=report.lines,
            created=report.created,
            skipped_duplicates=report.duplicates,
            invalid=report.invalid,
            formats=tuple(sorted(report.formats)),
        )
    )


@dataclass
class _Run:
    client: Client
    report: ImportReport
    max_clear_passwords: int | None
    clear_passwords: int = 0

    @property
    def model(self) -> type[AbstractTenantUser]:
        return user_model_for(self.client)

    def write(self, batch: list[ImportRecord]) -> None:
        fresh = self._not_duplicates(batch)
        users = [user for record in fresh if (user := self._user(record)) is not None]
        if not users:
            return
        created, duplicates = _insert(self.model, users)
        for user in created:
            self.report.created += 1
            self.report.formats[user.import_format] += 1
        for user in duplicates:
            self.report.duplicate(user.import_line)

    def _not_duplicates(self, batch: list[ImportRecord]) -> list[ImportRecord]:
        """The records whose email is neither a user's already nor taken earlier in the batch, and
        whose user_id (if given) is free."""
        emails = {record.email for record in batch}
        taken = set(self.model.objects.filter(email__in=list(emails)).values_list("email", flat=True))
        ids = [record.user_id for record in batch if record.user_id is not None]
        ids_taken = set(self.model.objects.filter(pk__in=ids).values_list("pk", flat=True)) if ids else set()
        fresh = []
        for record in batch:
            if record.email in taken:
                self.report.duplicate(record.line)
            elif record.user_id is not None and record.user_id in ids_taken:
                self.report.refuse(record.line, "user_id is already another user's.")
            else:
                taken.add(record.email)
                ids_taken.add(record.user_id)
                fresh.append(record)
        return fresh

    def _user(self, record: ImportRecord) -> AbstractTenantUser | None:
        user = self.model(
            email=record.email,
            email_verified=record.email_verified,
            is_active=record.is_active,
            custom_fields=record.custom_fields,
            **({"created_at": record.created_at} if record.created_at else {}),
            **({"user_id": record.user_id} if record.user_id else {}),
        )
        user.import_line, user.import_format = record.line, record.hash_format
        if record.password is None:
            user.password_hash = record.password_hash
            return user
        try:
            self._count_clear_password()
            validate_new_password(record.password, client=self.client, user=user)
        except InvalidRequest as refused:
            messages = " ".join(str(message) for message in (refused.fields or {}).get("password", []))
            self.report.refuse(record.line, f"{refused.detail} {messages}".strip())
            return None
        user.password_hash = make_password(record.password)
        return user

    def _count_clear_password(self) -> None:
        self.clear_passwords += 1
        if self.max_clear_passwords is not None and self.clear_passwords > self.max_clear_passwords:
            raise InvalidRequest(
                f"More than {self.max_clear_passwords} passwords in clear in one request: send password_hash, "
                "or import the file with manage.py import_users."
            )


def _insert(model: type[AbstractTenantUser], users: list[AbstractTenantUser]) -> tuple[list, list]:
    """(created, duplicates): the batch in one write, or user by user when one of them collides
    (a sign-up of the same email meanwhile)."""
    database = router.db_for_write(model)
    try:
        with transaction.atomic(using=database):
            model.objects.bulk_create(users)
        return users, []
    except IntegrityError:
        pass
    # Where a failed batch write is not undone (MongoDB without a transaction), some rows of the batch
    # may be in: a row with our user_id is ours.
    present = dict(model.objects.filter(email__in=[user.email for user in users]).values_list("email", "user_id"))
    created, duplicates = [], []
    for user in users:
        holder = present.get(user.email)
        if holder is None:
            holder = _insert_one(user, database=database)
        (created if holder == user.user_id else duplicates).append(user)
    return created, duplicates


def _insert_one(user: AbstractTenantUser, *, database: str):
    try:
        with transaction.atomic(using=database):
            user.save(force_insert=True)
        return user.user_id
    except IntegrityError:
        return None
