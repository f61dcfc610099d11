"""Bulk import and export of a client's users over the API (NDJSON both ways): thin views over the
flows accounts.flows.user_import and user_export. `manage.py import_users` / `export_users` do the
same from a file, with no size bound and (export) the password hashes."""

import json

from django.conf import settings
from django.http import StreamingHttpResponse
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema_view
from rest_framework.parsers import BaseParser
from rest_framework.response import Response

from accounts.flows.user_export import users_export
from accounts.flows.user_import import users_import
from accounts.transfer_serializers import ExportLineOutput, ImportLineInput, ImportReportOutput
from clientapi.api import ClientApi
from clientapi.openapi import USERS, client_operation
from core.errors import InvalidRequest, PayloadTooLarge

NDJSON = "application/x-ndjson"


class NdjsonParser(BaseParser):
    """The body as its lines (bytes), read up to the endpoint's bound and no further."""

    media_type = NDJSON

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.AUTHSVC_IMPORT_MAX_BYTES
        body = stream.read(limit + 1) if stream is not None else b""
        if len(body) > limit:  # a body sent without Content-Length (chunked) is bounded here
            raise PayloadTooLarge(f"The import body is over {limit} bytes: split the file, or use manage.py import_users.")
        lines = body.split(b"\n")
        if sum(1 for line in lines if line.strip()) > settings.AUTHSVC_IMPORT_MAX_LINES:
            raise PayloadTooLarge(
                f"The import body is over {settings.AUTHSVC_IMPORT_MAX_LINES} lines: split the file, or use manage.py import_users."
            )
        return lines


IMPORT_DESCRIPTION = (
    "Creates users from NDJSON (`Content-Type: application/x-ndjson`), one JSON object a line: `email`, and "
    "either `password_hash` (bcrypt `$2a$`/`$2b$`/`$2y$`, `$argon2id$…`, Django's `pbkdf2_sha256$…`, "
    "`argon2$…`, `bcrypt_sha256$…`, `bcrypt$…`, `scrypt$…`) or `password` in clear (checked like a "
    "sign-up's, at most {passwords} a request), plus optional `email_verified`, `is_active`, "
    "`custom_fields` (checked against the client's schema), `created_at` (ISO 8601) and `user_id`. "
    "Users log in with their old password; the hash is replaced by ours at their first login.\n\n"
    "Answers 200 with a report: `created`, `skipped_duplicates` (the email, canonicalised as at sign-up, "
    "is already a user or came earlier in the body), `invalid`, and the line numbers of each (invalid ones "
    "with the reason: bad JSON, a missing email, both or neither of password and password_hash, an "
    "unknown or malformed hash, an unknown key, custom fields the schema refuses, a bad `created_at`). "
    "Sending the same body again creates nothing twice. At most {megabytes} MB and {lines} lines a "
    "request (413 `payload_too_large` over either); larger files: `manage.py import_users`. Counts in the "
    "`transfer_client` limit; audited once (`user_import`, with the counts)."
)


@extend_schema_view(
    post=client_operation(
        summary="Import users with their passwords or password hashes (NDJSON)",
        description=IMPORT_DESCRIPTION.format(
            passwords=settings.AUTHSVC_IMPORT_MAX_CLEAR_PASSWORDS,
            megabytes=settings.AUTHSVC_IMPORT_MAX_BYTES // 10**6,
            lines=settings.AUTHSVC_IMPORT_MAX_LINES,
        ),
        request={NDJSON: ImportLineInput},
        responses={200: ImportReportOutput},
        errors=(400,),
        tags=[USERS],
        examples=[
            OpenApiExample(
                "one line",
                request_only=True,
                media_type=NDJSON,
                value={"email": "ada@example.com", "password_hash": "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW"},
            )
        ],
    )
)
class UserImportApi(ClientApi):
    action_name = "user_import"
    parser_classes = [NdjsonParser]
    max_body_bytes = settings.AUTHSVC_IMPORT_MAX_BYTES  # authsvc.middleware lets this much through

    def post(self, request, client_id):
        if request.content_type.split(";")[0].strip().lower() != NDJSON:
            raise InvalidRequest(f"The body must be NDJSON (Content-Type: {NDJSON}), one JSON object a line.")
        lines = request.data if isinstance(request.data, list) else []
        if not any(line.strip() for line in lines):
            raise InvalidRequest("The body is empty: send one JSON object a line.")
        self.limit("transfer_client", str(self.client.client_id))
        report = users_import(
            client=self.client,
            records=enumerate(lines, start=1),
            request_meta=self.meta,
            source="api",
            max_clear_passwords=settings.AUTHSVC_IMPORT_MAX_CLEAR_PASSWORDS,
        )
        return Response(ImportReportOutput(report.as_dict()).data)


@extend_schema_view(
    get=client_operation(
        summary="Export every user (NDJSON, streamed, no password hashes)",
        description=(
            "Streams this client's users, oldest first, as NDJSON (`application/x-ndjson`), one JSON object "
            "a line: `user_id`, `email`, `email_verified`, `is_active`, `custom_fields`, `created_at`. Never a "
            "password hash: an export that can be imported elsewhere with the passwords is "
            "`manage.py export_users --include-hashes`, for the operator. Read a page at a time, so any "
            "number of users streams in bounded memory. Counts in the `transfer_client` limit; audited once "
            "(`user_export`, with the count) when the stream ends."
        ),
        responses={(200, NDJSON): OpenApiResponse(response=ExportLineOutput, description="One user a line.")},
        tags=[USERS],
    )
)
class UserExportApi(ClientApi):
    action_name = "user_export"

    def get(self, request, client_id):
        self.limit("transfer_client", str(self.client.client_id))
        records = users_export(client=self.client, include_hashes=False, source="api", request_meta=self.meta)
        response = StreamingHttpResponse(_ndjson(records), content_type=NDJSON)
        response["Cache-Control"] = "no-store"
        return response


# Lines are sent in chunks of about this size: one write per user would be a syscall per line.
CHUNK_BYTES = 64 * 1024


def _ndjson(records):
    try:
        chunk: list[bytes] = []
        size = 0
        for record in records:
            line = json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
            chunk.append(line)
            size += len(line)
            if size >= CHUNK_BYTES:
                yield b"".join(chunk)
                chunk, size = [], 0
        if chunk:
            yield b"".join(chunk)
    finally:
        records.close()  # audited also when the reader went away part-way
