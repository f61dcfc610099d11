"""Bodies of the endpoints OAuth clients call form-encoded: revocation (RFC 7009) and introspection (RFC 7662).

Those RFCs send `application/x-www-form-urlencoded`, so stock OAuth libraries call them that way;
the API's JSON stays accepted beside it (`form_or_json`).
"""

from django.core.exceptions import SuspiciousOperation
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser
from rest_framework.settings import api_settings


class OAuthFormParser(FormParser):
    """A form body read as a plain dict: one value per parameter, a list for a parameter sent more than once.

    A plain dict, not DRF's QueryDict, so the serializers read it as they read JSON: an empty value is
    blank, not absent. A repeated parameter (RFC 6749 §3.1 forbids it) becomes a list, which a text
    field refuses naming itself, rather than one of its values being picked; one nobody reads is
    ignored, as RFC 6749 §3.2 asks of unknown parameters.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            form = super().parse(stream, media_type, parser_context)
        except SuspiciousOperation:  # more fields than DATA_UPLOAD_MAX_NUMBER_FIELDS
            raise ValidationError("The form has too many fields.") from None
        return {name: values[0] if len(values) == 1 else values for name, values in form.lists()}


def form_or_json() -> list:
    """The API's own parsers (JSON), then the form."""
    return [*api_settings.DEFAULT_PARSER_CLASSES, OAuthFormParser]
