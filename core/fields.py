"""Serializer fields that refuse what DRF would coerce: a number where text belongs, "yes" for true."""

from rest_framework import serializers
from rest_framework.validators import ProhibitSurrogateCharactersValidator

_prohibit_surrogates = ProhibitSurrogateCharactersValidator()


def _prohibit_surrogates_unless_ascii(value: str) -> None:
    # DRF's check walks the string in Python, a character at a time: on an 800-character token
    # that was a tenth of a verify. ASCII text cannot hold a surrogate, and isascii() is C.
    if not value.isascii():
        _prohibit_surrogates(value)


class StrictCharField(serializers.CharField):
    """A CharField that refuses numbers and other non-strings instead of coercing them."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators = [
            _prohibit_surrogates_unless_ascii if isinstance(validator, ProhibitSurrogateCharactersValidator) else validator
            for validator in self.validators
        ]

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        if "\x00" in data:
            raise serializers.ValidationError("Must not contain NUL characters.")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class ParsedJSONField(serializers.JSONField):
    """A JSON value from a parsed JSON body, taken as it came.

    DRF's JSONField re-encodes the value to prove it is JSON, recursing as deep as it is nested: a
    hostile body hundreds of levels deep then raised RecursionError (a 500) before any check of ours
    ran. A parsed body is JSON by construction; the services check depth iteratively.
    """

    def to_internal_value(self, data):
        return data


class StrictIntegerField(serializers.IntegerField):
    """An IntegerField that refuses what DRF would coerce: "5", 5.0, true."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)
