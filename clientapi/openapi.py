"""OpenAPI description shared by every app: the access-key scheme and the error envelope."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers

from core.errors import error_classes


class ErrorOutput(serializers.Serializer):
    error = serializers.CharField(help_text="Machine-readable code, e.g. invalid_request, unauthorized, token_reused.")
    detail = serializers.CharField(help_text="Human-readable explanation.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Validation errors by field.",
    )


def error_responses(*statuses: int) -> dict[int, OpenApiResponse]:
    """Envelope responses for the given statuses (plus 413, 429 and 503, which any call can meet)."""
    wanted = sorted({*statuses, 413, 429, 503})
    responses = {}
    for status in wanted:
        code, description = _described(status)
        example = OpenApiExample(code, value={"error": code, "detail": description})
        responses[status] = OpenApiResponse(response=ErrorOutput, description=description, examples=[example])
    return responses


def _described(status: int) -> tuple[str, str]:
    """The status's main code and a description naming the other codes it may carry (core.errors registry)."""
    codes = [error for error in error_classes() if error.status_code == status]
    main = next((error for error in codes if error.answers_for_status), codes[0])
    others = [error.code for error in codes if error is not main]
    return main.code, main.meaning + (f" Also: {', '.join(others)}." if others else "")


class AccessKeyScheme(OpenApiAuthenticationExtension):
    target_class = "clientapi.authentication.AccessKeyAuthentication"
    name = "AccessKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "ak_{key_id}.{secret}",
            "description": "The client's access key, shown once at registration.",
        }


# Sent by the client's backend on behalf of the person in front of it. Without them every
# end user looks like the backend itself: one shared per-IP bucket, and audit records that
# name the backend's address instead of the user's.
END_USER_HEADERS = [
    OpenApiParameter(
        "X-End-User-IP",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        required=False,
        description=(
            "The IP address of the end user your backend is acting for (IPv4 or IPv6). The per-IP rate "
            "limits (login, sign-up) count it instead of your server's address, and audit records show it. "
            "Trusted only with a valid access key; an unparsable value is ignored."
        ),
    ),
    OpenApiParameter(
        "X-End-User-Agent",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        required=False,
        description=(
            "The end user's browser User-Agent, recorded in audit records instead of your backend's "
            "(first 512 characters). Trusted only with a valid access key."
        ),
    ),
]


def client_operation(*, parameters=(), responses=None, **kwargs):
    """`extend_schema` for a per-client operation: the end-user headers are documented on each,
    and 404, which every per-client path answers for a client_id that is not a UUID."""
    return extend_schema(parameters=[*parameters, *END_USER_HEADERS], responses={**error_responses(404), **(responses or {})}, **kwargs)
