"""OpenAPI description shared by every app: the access-key scheme and the error envelope."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers

ERROR_CODES = {
    400: ("invalid_request", "The body or query is invalid; `fields` says which."),
    401: ("unauthorized", "Missing or bad access key (also invalid_credentials, invalid_token, token_reused)."),
    403: ("forbidden", "Another client's key or a disabled client (also email_not_verified, account_disabled)."),
    404: ("not_found", "No such resource for this client."),
    409: ("email_taken", "A user with this email already exists."),
    413: ("payload_too_large", "The body is over 64 KB."),
    429: ("rate_limited", "Too many requests; see Retry-After."),
    503: ("service_unavailable", "The store is down; retry shortly."),
}


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
    return {
        status: OpenApiResponse(
            response=ErrorOutput,
            description=ERROR_CODES[status][1],
            examples=[OpenApiExample(ERROR_CODES[status][0], value={"error": ERROR_CODES[status][0], "detail": ERROR_CODES[status][1]})],
        )
        for status in wanted
    }


class AccessKeyScheme(OpenApiAuthenticationExtension):
    target_class = "tenants.authentication.AccessKeyAuthentication"
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


def client_operation(*, parameters=(), **kwargs):
    """`extend_schema` for a per-client operation: the end-user headers are documented on each."""
    return extend_schema(parameters=[*parameters, *END_USER_HEADERS], **kwargs)
