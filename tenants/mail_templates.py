"""A client's own subject and text for its verification and reset mails (`mail_templates`).

`{"verify_email": {"subject": "…", "text": "…"}, "reset_password": {…}}`, each mail and each part
optional (what is left out stays ours). Client text is never a template of any engine: its only
syntax is a placeholder `{name}` of the fixed PLACEHOLDERS, and `{{` / `}}` for a literal brace. One
pass of one fixed pattern splits the text (`pieces`), and names are looked up in a dict, never
evaluated: `{link.__class__}` or `{0}` is an unknown placeholder, refused when saved. The pattern
cannot backtrack beyond the next brace, so its time is linear in the text.

Bounds: a subject is one line of at most MAX_SUBJECT characters, a text at most MAX_TEXT and must
carry `{link}` (a verification or reset mail without its link is useless); neither holds control,
format (bidi overrides, zero-width) or unassigned characters, tabs and line breaks of a text apart.
"""

import re
import unicodedata
from collections.abc import Iterator
from typing import Any

from jsonschema import Draft202012Validator

from core.errors import InvalidRequest
from core.nesting import deeper_than

FIELD = "mail_templates"
MAIL_NAMES = ("verify_email", "reset_password")
PLACEHOLDERS = ("link", "client_name", "email", "expires_in")
MAX_SUBJECT = 200
MAX_TEXT = 5000
# Those of tenants.validation's refused categories (control, format, surrogate, private use,
# unassigned, line and paragraph separators); a text keeps its tabs and line feeds.
REFUSED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
TEXT_WHITESPACE = {"\n", "\t"}

_PART = {"type": "string", "minLength": 1}
MAIL_SCHEMA = {
    "type": "object",
    "properties": {"subject": {**_PART, "maxLength": MAX_SUBJECT}, "text": {**_PART, "maxLength": MAX_TEXT}},
    "additionalProperties": False,
}
# Also the OpenAPI description of the setting (clients/serializers.py): JSON Schema and OpenAPI 3.0 alike.
SCHEMA = {"type": "object", "properties": {name: MAIL_SCHEMA for name in MAIL_NAMES}, "additionalProperties": False}
_VALIDATOR = Draft202012Validator(SCHEMA)

PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")


def pieces(text: str) -> Iterator[tuple[str, bool]]:
    """The text as (literal, False) and (placeholder name, True) pieces, in order."""
    at = 0
    for match in PLACEHOLDER.finditer(text):
        if match.start() > at:
            yield text[at : match.start()], False
        name = match.group(1)
        yield (match.group(0)[0], False) if name is None else (name, True)
        at = match.end()
    if at < len(text):
        yield text[at:], False


def fill(text: str, values: dict[str, str]) -> str:
    """The text with each placeholder replaced by its value (an unknown one, which saving refuses, stays as written)."""
    return "".join(values.get(piece, f"{{{piece}}}") if is_name else piece for piece, is_name in pieces(text))


def validate_mail_templates(value: Any) -> dict | None:
    """The setting as stored (line ends as \\n), or None for none; refused: 400 under `fields.mail_templates`."""
    if value is None or value == {}:
        return None
    if deeper_than(value, 1):  # checked first: the schema's messages quote the value
        _refuse(["Must be an object of mail (verify_email, reset_password) to {subject, text}."])
    problems = [_message(error) for error in sorted(_VALIDATOR.iter_errors(value), key=lambda error: list(error.absolute_path))]
    if problems:
        _refuse(problems)
    cleaned = {
        name: {part: _normalised(part, value[name][part]) for part in ("subject", "text") if part in value[name]}
        for name in MAIL_NAMES
        if name in value
    }
    problems = [
        f"{name}.{part}: {problem}" for name, parts in cleaned.items() for part, text in parts.items() for problem in _text_problems(part, text)
    ]
    if problems:
        _refuse(problems)
    return cleaned


def _normalised(part: str, text: str) -> str:
    return text.replace("\r\n", "\n") if part == "text" else text


def _text_problems(part: str, text: str) -> list[str]:
    allowed = TEXT_WHITESPACE if part == "text" else set()
    problems = []
    if any(unicodedata.category(character) in REFUSED_CATEGORIES and character not in allowed for character in text):
        problems.append(
            "must be one line without control or invisible characters."
            if part == "subject"
            else "must not contain control or invisible characters (line breaks and tabs are fine)."
        )
    names = [piece for piece, is_name in pieces(text) if is_name]
    known = ", ".join(f"{{{name}}}" for name in PLACEHOLDERS)
    problems += [f"unknown placeholder {{{_shown(name)}}}; the placeholders are {known}." for name in dict.fromkeys(names) if name not in PLACEHOLDERS]
    if part == "text" and "link" not in names:
        problems.append("must contain {link}, where the link goes.")
    return problems


def _message(error) -> str:
    where = ".".join(str(step) for step in error.absolute_path) or FIELD
    if error.validator == "additionalProperties":
        unknown = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        return f"{where}: unknown key(s) {', '.join(_shown(key) for key in unknown)}; expected {', '.join(error.schema['properties'])}."
    if error.validator == "type":
        return f"{where}: must be {'an object' if error.validator_value == 'object' else 'a string'}."
    if error.validator == "maxLength":
        return f"{where}: must be at most {error.validator_value} characters."
    if error.validator == "minLength":
        return f"{where}: must not be empty."
    return f"{where}: {error.message[:200]}"


def _shown(text: str) -> str:
    """A name from the client's text, echoed back in an error no longer than it needs to be."""
    return text if len(text) <= 40 else text[:40] + "…"



def _refuse(problems: list[str]):
    raise InvalidRequest(f"{FIELD} is not accepted.", fields={FIELD: problems})
