"""Export: a client's users as import records (accounts/import_records.py), oldest first, streamed.

`users_export` yields one dict per user, reading the table a page at a time (core.pagination.
keyset_rows), so memory stays one page whatever the number of users. With `include_hashes` (the
command only; the API never sends a hash) each carries its `password_hash` in Django's form, which
`import_users` takes back. Audited once when the reader finishes or stops (`users.exported`).
"""

from collections.abc import Iterator

from accounts.events import UsersExported
from accounts.selectors import user_export_rows
from core.events import publish
from core.request_meta import RequestMeta
from tenants.models import AbstractTenantUser, Client

EXPORTED_FIELDS = ("user_id", "email", "email_verified", "is_active", "custom_fields", "created_at")
DEFAULT_PAGE_SIZE = 1000


def export_record(user: AbstractTenantUser, *, include_hashes: bool) -> dict:
    record = {name: getattr(user, name) for name in EXPORTED_FIELDS}
    record["user_id"] = str(user.user_id)
    record["created_at"] = user.created_at.isoformat()
    if include_hashes:
        record["password_hash"] = user.password_hash
    return record


def users_export(
    *,
    client: Client,
    include_hashes: bool = False,
    source: str = "api",
    request_meta: RequestMeta | None = None,
    page_size: int = DEFAULT_PAGE_SIZE,
) -> Iterator[dict]:
    exported, completed = 0, False
    try:
        for user in user_export_rows(client=client, with_hashes=include_hashes, page_size=page_size):
            yield export_record(user, include_hashes=include_hashes)
            exported += 1
        completed = True
    finally:
        publish(
            UsersExported(
                client_id=client.client_id,
                request_meta=request_meta,
                source=source,
                include_hashes=include_hashes,
                completed=completed,
                exported=exported,
            )
        )
