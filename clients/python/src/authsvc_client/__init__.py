"""authsvc-client: authsvc's API from a client backend (sync and async), and offline verification of its
access tokens (`authsvc_client.verification`, `authsvc_client.django`). See README.md."""

from .async_client import AsyncAuthsvcClient
from .client import AuthsvcClient
from .endpoints import UNSET
from .errors import (
    AccountDisabled,
    AuthsvcConnectionError,
    AuthsvcError,
    Conflict,
    EmailNotVerified,
    EmailTaken,
    Forbidden,
    InvalidCredentials,
    InvalidToken,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    ServerError,
    ServiceUnavailable,
    TokenReused,
    Unauthorized,
    UnsafeUrl,
    ValidationError,
)
from .models import AuditRecord, ClientSettings, Discovery, Introspection, Page, SignupResult, TokenPair, User
from .protocol import VERSION as __version__

__all__ = [
    "UNSET",
    "AccountDisabled",
    "AsyncAuthsvcClient",
    "AuditRecord",
    "AuthsvcClient",
    "AuthsvcConnectionError",
    "AuthsvcError",
    "ClientSettings",
    "Conflict",
    "Discovery",
    "EmailNotVerified",
    "EmailTaken",
    "Forbidden",
    "Introspection",
    "InvalidCredentials",
    "InvalidToken",
    "MethodNotAllowed",
    "NotFound",
    "Page",
    "PayloadTooLarge",
    "RateLimited",
    "ServerError",
    "ServiceUnavailable",
    "SignupResult",
    "TokenPair",
    "TokenReused",
    "Unauthorized",
    "UnsafeUrl",
    "User",
    "ValidationError",
    "__version__",
]
