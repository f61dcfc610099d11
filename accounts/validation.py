"""Input rules of the accounts context: emails, passwords, custom_fields."""

import json
from functools import lru_cache
from typing import Any

import jsonschema
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from email_validator import EmailNotValidError, validate_email

from accounts.password_policy import password_validators_for
from core.errors import InvalidRequest
from tenants.client_schema import SchemaTooCostly, SchemaUnusable, schema_errors
from tenants.models import Client

MAX_PASSWORD_LENGTH = 1024  # far above any real password, far below a hashing DoS
MAX_CUSTOM_FIELDS_BYTES = 16 * 1024
MAX_CUSTOM_FIELDS_DEPTH = 5


# email-validator costs ~0.3 ms a call; a request asks for the same address up to three times
# (input check, rate-limit key, lookup), so answers are remembered.
@lru_cache(maxsize=4096)
def canonical_email(email: str) -> str:
    """The one spelling of an address under which it is stored, looked up and rate-limited.

    email-validator normalises the domain (IDNA: `bücher.example` and `xn--bcher-kva.example`
    are one domain, kept in its Unicode form) and the local part (Unicode NFC); the local
    part is also lower-cased, as this service always did. Raises EmailNotValidError.
    """
    info = validate_email(email.strip(), check_deliverability=False)
    return f"{info.local_part.lower()}@{info.domain}"


def normalize_email(email: str) -> str:
    """canonical_email, or for text that is no address (a search prefix) the old trim-and-lower."""
    try:
        return canonical_email(email)
    except EmailNotValidError:
        return email.strip().lower()


def validate_new_password(password: str, *, client: Client, user: Any, field: str = "password", user_id: Any = None) -> None:
    """The client's password policy, as Django's validators (accounts.password_policy): every new
    password of its users goes through here, whichever way it comes (sign-up, reset, change, import).

    `user_id`: whose password it is, for the error, when the user exists already (a reset).
    """
    try:
        password_validation.validate_password(password, user=user, password_validators=password_validators_for(client))
    except ValidationError as error:
        raise InvalidRequest(
            "The password does not meet the client's password policy.", fields={field: list(error.messages)}, user_id=user_id
        ) from None


def _is_utf8(text: str) -> bool:
    """False for a lone surrogate (JSON's "\\udfff" parses into one), which no store can encode."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _string_problem(text: str, *, is_key: bool) -> str | None:
    """Keys and strings every store keeps as given: UTF-8, no NUL, no `$`-prefixed (operator-like) keys."""
    if not _is_utf8(text):
        return "Keys and strings must not contain unpaired surrogates (\\ud800-\\udfff)."
    if is_key and ("\x00" in text or text.startswith("$")):
        return "Keys must not contain NUL characters nor start with '$'."
    if "\x00" in text:
        return "Strings must not contain NUL characters."
    return None


def _unstorable(value: Any) -> str | None:
    """What makes a value unstorable in some store, or deeper than the limit, found without recursion.

    Hostile nesting (900 levels parse fine) must not reach Python's recursion limit, so the walk
    keeps its own stack and stops at the first container past the limit.
    """
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, (dict, list)):
            if depth + 1 > MAX_CUSTOM_FIELDS_DEPTH:
                return f"Must be nested at most {MAX_CUSTOM_FIELDS_DEPTH} levels deep."
            if isinstance(item, dict):
                for key in item:
                    if problem := _string_problem(key, is_key=True):
                        return problem
                item = item.values()
            pending.extend((child, depth + 1) for child in item)
        elif isinstance(item, str) and (problem := _string_problem(item, is_key=False)):
            return problem
    return None


def validate_custom_fields(custom_fields: Any, *, schema: dict | None) -> dict:
    def refuse(message: str):
        raise InvalidRequest("custom_fields is invalid.", fields={"custom_fields": [message]})

    if not isinstance(custom_fields, dict):
        refuse("Must be a JSON object.")
    # Depth and storability first: json.dumps below recurses as deep as the value does.
    if problem := _unstorable(custom_fields):
        refuse(problem)
    if len(json.dumps(custom_fields, separators=(",", ":")).encode()) > MAX_CUSTOM_FIELDS_BYTES:
        refuse(f"Must be at most {MAX_CUSTOM_FIELDS_BYTES // 1024} KB of JSON.")
    if schema:
        try:
            errors = sorted(schema_errors(schema, custom_fields), key=lambda e: [str(part) for part in e.path])
        except SchemaTooCostly:
            refuse("The client's schema is too costly to check against this value.")
        except SchemaUnusable:
            refuse("The client's schema refers outside itself and cannot be used; its owner must replace it.")
        if errors:
            raise InvalidRequest(
                "custom_fields does not match the client's schema.",
                fields={"custom_fields": [_describe(error) for error in errors]},
            )
    return custom_fields


def _describe(error: jsonschema.ValidationError) -> str:
    location = "/".join(str(part) for part in error.path)
    return f"{location}: {error.message}" if location else error.message
