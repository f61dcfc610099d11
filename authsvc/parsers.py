"""A JSON parser that answers 400 for every hostile body instead of a 500.

DRF's parser turns ValueError into a ParseError, but a deeply nested array (`[[[[...`
within the size limit) raises RecursionError, and `NaN`/`Infinity` are not JSON at all.
"""

import json

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


class StrictJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", "utf-8")
        try:
            text = stream.read().decode(encoding) if stream is not None else ""
            return json.loads(text, parse_constant=_refuse_constant)
        except (ValueError, RecursionError, UnicodeDecodeError):
            raise ParseError("The body is not valid JSON.") from None
