"""OpenAPI description shared by every app: the areas operations are grouped by, the access-key scheme, and
the error envelope with the codes each operation declares."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers

from core.errors import Forbidden, ServiceError, error_classes
from core.serializers import StrictSerializer

# The areas Swagger UI and Redoc group operations by, described in this order by `describe_tags`.
CLIENTS, ACCOUNTS, TOKENS, USERS, MAIL, AUDIT, WEBHOOKS = "clients", "accounts", "tokens", "users", "mail", "audit", "webhooks"
TAGS = [
    {"name": CLIENTS, "description": "Register a client, and read and change the calling client's settings."},
    {"name": ACCOUNTS, "description": "Sign users up and log them in."},
    {"name": TOKENS, "description": "Refresh, introspect and revoke a user's tokens."},
    {"name": USERS, "description": "List, read, update and delete this client's users."},
    {"name": MAIL, "description": "The mailed steps: verify an email address, reset a password."},
    {"name": AUDIT, "description": "This client's audit trail."},
    {"name": WEBHOOKS, "description": "Signed POSTs to your backend when your users sign up, log in, change or go."},
]


def describe_tags(result, generator, request, public):
    """Postprocessing hook: the areas, described and in this order (every operation names one)."""
    result["tags"] = TAGS
    return result


class ErrorOutput(serializers.Serializer):
    error = serializers.CharField(help_text="Machine-readable code, e.g. invalid_request, unauthorized, token_reused.")
    detail = serializers.CharField(help_text="Human-readable explanation.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Validation errors by field.",
    )


# Any call can meet these, whatever it does.
ANY_CALL = (413, 429, 503)

# What an operation declares it answers: a status (the code every failure of that status gets: 400
# `invalid_request`, 401 `unauthorized`, ...), an error class (its own code, under its status), or an
# error class with what its code means for this operation.
Declared = int | type[ServiceError] | tuple[type[ServiceError], str]


def error_responses(*declared: Declared) -> dict[int, OpenApiResponse]:
    """Envelope responses for what an operation declares, plus 413, 429 and 503.

    Each status lists only the codes declared for it, in its description and as one example each.
    """
    codes: dict[int, dict[str, tuple[str, str]]] = {}
    for item in (*declared, *ANY_CALL):
        error, meaning = _declared(item)
        codes.setdefault(error.status_code, {}).setdefault(error.code, (error.code, meaning))
    return {status: _response(list(answers.values())) for status, answers in sorted(codes.items())}


def _declared(item: Declared) -> tuple[type[ServiceError], str]:
    if isinstance(item, tuple):
        return item
    if isinstance(item, int):
        # The error class whose code answers for a bare status (core.errors registry).
        item = next(error for error in error_classes() if error.status_code == item and error.answers_for_status)
    return item, item.meaning


def _response(answers: list[tuple[str, str]]) -> OpenApiResponse:
    lines = [f"`{code}`: {meaning}" for code, meaning in answers]
    description = lines[0] if len(lines) == 1 else "One of:\n\n" + "\n".join(f"- {line}" for line in lines)
    examples = [OpenApiExample(code, value={"error": code, "detail": meaning}) for code, meaning in answers]
    return OpenApiResponse(response=ErrorOutput, description=description, examples=examples)


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


def _subclasses(cls: type) -> list[type]:
    return [cls, *(sub for direct in cls.__subclasses__() for sub in _subclasses(direct))]


def close_strict_bodies(result, generator, request, public):
    """Postprocessing hook: a StrictSerializer's body schema says what it enforces, no key beyond its
    fields. Its components are named as drf-spectacular names request bodies (PATCH: `Patched…`)."""
    components = result.get("components", {}).get("schemas", {})
    for serializer in _subclasses(StrictSerializer):
        name = serializer.__name__.removesuffix("Serializer")
        for candidate in (f"{name}Request", f"Patched{name}Request"):
            if candidate in components:
                components[candidate]["additionalProperties"] = False
    return result


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


# Every per-client call can answer these: a missing or wrong key (401), another client's key or a
# disabled client (403), a client_id that is not a UUID (404).
PER_CLIENT_ERRORS = (401, (Forbidden, "The access key belongs to another client, or this client is disabled."), 404)


def client_operation(*, parameters=(), responses=None, errors=(), **kwargs):
    """`extend_schema` for a per-client operation: the end-user headers are documented on each, and
    its error answers are PER_CLIENT_ERRORS plus the statuses and error classes in `errors`."""
    return extend_schema(
        parameters=[*parameters, *END_USER_HEADERS],
        responses={**(responses or {}), **error_responses(*PER_CLIENT_ERRORS, *errors)},
        **kwargs,
    )
