"""One line of an import file (NDJSON), read and checked on its own: a record to insert, or why not.

A line is a JSON object with `email` and either `password` (in clear: checked by the sign-up
validators, hashed by our hasher) or `password_hash` (accounts/imported_hashes.py), and optionally
`email_verified`, `is_active`, `custom_fields`, `created_at` and `user_id` (what
`export_users` writes, so an export comes back in). Any other key makes the line invalid, naming it.
Emails are canonicalised as sign-up does, custom fields checked against the client's schema.
"""

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.utils import timezone
from email_validator import EmailNotValidError

from accounts.imported_hashes import HashRefused, stored_hash
from accounts.validation import MAX_PASSWORD_LENGTH, canonical_email, validate_custom_fields
from core.errors import InvalidRequest
from tenants.models import Client

KEYS = ("email", "password", "password_hash", "email_verified", "is_active", "custom_fields", "created_at", "user_id")
# A clock a little ahead of ours is not a record from the future.
CLOCK_SKEW = timedelta(minutes=5)
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)


class InvalidLine(ValueError):
    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


@dataclass
class ImportRecord:
    line: int
    email: str
    password: str | None  # in clear, to hash only once the line is known not to be a duplicate
    password_hash: str | None  # Django's encoded form
    hash_format: str  # "password" for one given in clear
    email_verified: bool = False
    is_active: bool = True
    custom_fields: dict = field(default_factory=dict)
    created_at: datetime | None = None
    user_id: uuid.UUID | None = None


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


def parse_object(text: str | bytes) -> dict:
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except (ValueError, RecursionError, UnicodeDecodeError):
        raise InvalidLine("Not valid JSON.") from None
    if not isinstance(value, dict):
        raise InvalidLine("Must be a JSON object.")
    return value


def read_record(line: int, text: str | bytes, *, client: Client) -> ImportRecord:
    """The record of one line; InvalidLine saying why it cannot be imported."""
    data = parse_object(text)
    unknown = sorted(key for key in data if key not in KEYS)
    if unknown:
        raise InvalidLine(f"Unknown key(s): {', '.join(repr(key[:64]) for key in unknown[:5])}.")
    record = ImportRecord(line=line, email=_email(data.get("email")), password=None, password_hash=None, hash_format="")
    _read_password(record, data)
    record.email_verified = _boolean(data, "email_verified", default=False)
    record.is_active = _boolean(data, "is_active", default=True)
    record.custom_fields = _custom_fields(data.get("custom_fields", {}), client=client)
    record.created_at = _created_at(data["created_at"]) if "created_at" in data else None
    record.user_id = _user_id(data["user_id"]) if "user_id" in data else None
    return record


def _email(value) -> str:
    if value is None:
        raise InvalidLine("email is missing.")
    if not isinstance(value, str):
        raise InvalidLine("email must be a string.")
    try:
        return canonical_email(value)
    except EmailNotValidError as error:
        raise InvalidLine(f"email is invalid: {error}") from None


def _read_password(record: ImportRecord, data: dict) -> None:
    if ("password" in data) == ("password_hash" in data):
        raise InvalidLine("Give exactly one of password and password_hash.")
    if "password" in data:
        password = data["password"]
        if not isinstance(password, str) or not password:
            raise InvalidLine("password must be a non-empty string.")
        if len(password) > MAX_PASSWORD_LENGTH:
            raise InvalidLine(f"password must be at most {MAX_PASSWORD_LENGTH} characters.")
        record.password, record.hash_format = password, "password"
        return
    try:
        stored = stored_hash(data["password_hash"])
    except HashRefused as refused:
        raise InvalidLine(refused.reason) from None
    record.password_hash, record.hash_format = stored.encoded, stored.format


def _boolean(data: dict, name: str, *, default: bool) -> bool:
    value = data.get(name, default)
    if not isinstance(value, bool):
        raise InvalidLine(f"{name} must be true or false.")
    return value


def _custom_fields(value, *, client: Client) -> dict:
    try:
        return validate_custom_fields(value, schema=client.custom_fields_schema)
    except InvalidRequest as refused:
        problems = " ".join(str(message) for message in (refused.fields or {}).get("custom_fields", []))
        raise InvalidLine(f"{refused.detail} {problems}".strip()) from None


def _created_at(value) -> datetime:
    """ISO 8601; without a time zone, UTC."""
    if not isinstance(value, str):
        raise InvalidLine("created_at must be an ISO 8601 date and time string.")
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidLine("created_at is not an ISO 8601 date and time (e.g. 2021-03-04T05:06:07Z).") from None
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=UTC)
    if not EARLIEST <= moment <= timezone.now() + CLOCK_SKEW:
        raise InvalidLine("created_at must be between 1970 and now.")
    return moment.astimezone(UTC)


def _user_id(value) -> uuid.UUID:
    try:
        return uuid.UUID(value) if isinstance(value, str) else _not_a_uuid()
    except ValueError:
        return _not_a_uuid()


def _not_a_uuid():
    raise InvalidLine("user_id must be a UUID.")
