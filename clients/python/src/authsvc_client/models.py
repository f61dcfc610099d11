"""What the API answers, as typed objects. Each keeps the answer it was read from in `raw`, so a field a
newer server adds is readable before this SDK names it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Literal


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@dataclass(frozen=True)
class TokenPair:
    """A login's tokens (login, refresh, and sign-up without required verification)."""

    # The login is finished: what `login` answers is this, or a second step (MfaRequired, MfaEnrollmentRequired).
    is_complete: ClassVar[Literal[True]] = True

    user_id: str
    access_token: str
    refresh_token: str = field(repr=False)
    token_type: str
    expires_in: int

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> TokenPair:
        return cls(
            user_id=body["user_id"],
            access_token=body["access_token"],
            refresh_token=body["refresh_token"],
            token_type=body.get("token_type", "Bearer"),
            expires_in=int(body.get("expires_in", 0)),
        )


@dataclass(frozen=True)
class MfaRequired:
    """`login` for a user with a second factor: no tokens yet. Send `mfa_token` with a code of one of
    `methods` (`totp`, `recovery_code`) to `login_mfa`, or, with `passkey` among them, a passkey's answer
    to `login_mfa_passkey_options`' options. The token is single-use, lives 5 minutes and takes 5 codes."""

    is_complete: ClassVar[Literal[False]] = False

    mfa_token: str = field(repr=False)
    methods: list[str]
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> MfaRequired:
        return cls(mfa_token=body["mfa_token"], methods=list(body.get("methods") or []), raw=body)


@dataclass(frozen=True)
class MfaEnrollmentRequired:
    """`login` (or `signup`) when the client's `mfa_policy` is `required` and the user has no factor: no
    tokens until one is enrolled with `mfa_token` (`login_mfa_totp_enrol`, then `login_mfa_totp_confirm`)."""

    is_complete: ClassVar[Literal[False]] = False

    mfa_token: str = field(repr=False)
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> MfaEnrollmentRequired:
        return cls(mfa_token=body["mfa_token"], raw=body)


# What `login` answers: the pair, or the second step it asks for (`result.is_complete`, or isinstance).
LoginResult = TokenPair | MfaRequired | MfaEnrollmentRequired


def login_result(body: dict[str, Any]) -> LoginResult:
    """The typed answer of `login`: a step when the service asks for one, else the pair."""
    if body.get("mfa_required"):
        return MfaRequired.from_json(body)
    if body.get("mfa_enrollment_required"):
        return MfaEnrollmentRequired.from_json(body)
    return TokenPair.from_json(body)


@dataclass(frozen=True)
class SignupResult:
    """A new user; `tokens` is None when the client requires email verification (a link was mailed), or
    a second factor (`mfa_policy` `required`): then `mfa_enrollment` holds the token that enrols it."""

    user_id: str
    email: str
    email_verified: bool
    custom_fields: dict[str, Any]
    tokens: TokenPair | None
    verification_required: bool
    raw: dict[str, Any] = field(repr=False, compare=False)
    mfa_enrollment: MfaEnrollmentRequired | None = None

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> SignupResult:
        return cls(
            user_id=body["user_id"],
            email=body["email"],
            email_verified=bool(body.get("email_verified")),
            custom_fields=body.get("custom_fields") or {},
            tokens=TokenPair.from_json(body) if "access_token" in body else None,
            verification_required=bool(body.get("verification_required")),
            raw=body,
            mfa_enrollment=MfaEnrollmentRequired.from_json(body) if body.get("mfa_enrollment_required") else None,
        )


@dataclass(frozen=True)
class User:
    user_id: str
    email: str
    email_verified: bool
    is_active: bool
    custom_fields: dict[str, Any]
    created_at: datetime | None
    updated_at: datetime | None
    # Only in the answer of update_user: a new email waits for its link (when verification is required).
    email_change_pending: bool = False
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> User:
        return cls(
            user_id=body["user_id"],
            email=body["email"],
            email_verified=bool(body.get("email_verified")),
            is_active=bool(body.get("is_active", True)),
            custom_fields=body.get("custom_fields") or {},
            created_at=_time(body.get("created_at")),
            updated_at=_time(body.get("updated_at")),
            email_change_pending=bool(body.get("email_change_pending", False)),
            raw=body,
        )


@dataclass(frozen=True)
class Page:
    """One page of a listing and the cursor of the next (None on the last page)."""

    results: list[Any]
    next: str | None


@dataclass(frozen=True)
class Introspection:
    """`token/verify` (RFC 7662): `active` False and nothing else for any token that is not live."""

    active: bool
    user_id: str | None = None
    email: str | None = None
    email_verified: bool | None = None
    custom_fields: dict[str, Any] = field(default_factory=dict)
    sub: str | None = None
    aud: str | None = None
    iss: str | None = None
    exp: int | None = None
    iat: int | None = None
    client_id: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> Introspection:
        if not body.get("active"):
            return cls(active=False, raw=body)
        return cls(
            active=True,
            user_id=body.get("user_id"),
            email=body.get("email"),
            email_verified=body.get("email_verified"),
            custom_fields=body.get("custom_fields") or {},
            sub=body.get("sub"),
            aud=body.get("aud"),
            iss=body.get("iss"),
            exp=body.get("exp"),
            iat=body.get("iat"),
            client_id=body.get("client_id"),
            raw=body,
        )


@dataclass(frozen=True)
class ClientSettings:
    """The calling client's own settings (`GET /api/v1/<client_id>/`); every field is in `raw` too."""

    client_id: str
    client_name: str
    industry: str
    is_active: bool
    require_email_verification: bool
    custom_fields_schema: dict[str, Any] | None
    token_issuer: str | None
    refresh_reuse_interval: int
    documentation_url: str | None
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> ClientSettings:
        return cls(
            client_id=body["client_id"],
            client_name=body.get("client_name", ""),
            industry=body.get("industry", ""),
            is_active=bool(body.get("is_active", True)),
            require_email_verification=bool(body.get("require_email_verification")),
            custom_fields_schema=body.get("custom_fields_schema"),
            token_issuer=body.get("token_issuer"),
            refresh_reuse_interval=int(body.get("refresh_reuse_interval") or 0),
            documentation_url=body.get("documentation_url"),
            raw=body,
        )


@dataclass(frozen=True)
class AuditRecord:
    """One record of the client's audit trail (never a password, token or key)."""

    audit_id: str
    action: str
    status: str
    reason: str | None
    user_id: str | None
    ip_address: str | None
    user_agent: str | None
    timestamp: datetime | None
    metadata: dict[str, Any]
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> AuditRecord:
        return cls(
            audit_id=str(body.get("audit_id", "")),
            action=body.get("action", ""),
            status=body.get("status", ""),
            reason=body.get("reason") or None,
            user_id=body.get("user_id"),
            ip_address=body.get("ip_address"),
            user_agent=body.get("user_agent") or None,
            timestamp=_time(body.get("timestamp")),
            metadata=body.get("metadata") or {},
            raw=body,
        )


@dataclass(frozen=True)
class Discovery:
    """An issuer's discovery document (OIDC / RFC 8414): where its keys are."""

    issuer: str
    jwks_uri: str
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> Discovery:
        return cls(issuer=body["issuer"], jwks_uri=body["jwks_uri"], raw=body)


@dataclass(frozen=True)
class Webhook:
    """A webhook as `GET webhooks` lists it (never its secret)."""

    webhook_id: str
    url: str
    events: list[str]
    description: str
    enabled: bool
    disabled_reason: str
    consecutive_failures: int
    created_at: datetime | None
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> Webhook:
        return cls(
            webhook_id=body["webhook_id"],
            url=body["url"],
            events=list(body.get("events") or []),
            description=body.get("description", ""),
            enabled=bool(body.get("enabled", True)),
            disabled_reason=body.get("disabled_reason", ""),
            consecutive_failures=int(body.get("consecutive_failures", 0)),
            created_at=_time(body.get("created_at")),
            raw=body,
        )


@dataclass(frozen=True)
class WebhookSecret:
    """A webhook's signing secret (`whsec_…`), shown once: at creation and at each rotation."""

    webhook_id: str
    secret: str = field(repr=False)
    # After a rotation: until when messages are signed with the previous secret too.
    previous_secret_expires_at: datetime | None = None

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> WebhookSecret:
        return cls(body["webhook_id"], body["secret"], _time(body.get("previous_secret_expires_at")))


@dataclass(frozen=True)
class WebhookDelivery:
    """One message to a webhook: its `webhook-id` (delivery_id), event, status and attempts."""

    delivery_id: str
    event_type: str
    status: str
    attempts: int
    response_code: int | None
    error: str
    next_retry_at: datetime | None
    created_at: datetime | None
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> WebhookDelivery:
        return cls(
            delivery_id=body["delivery_id"],
            event_type=body.get("event_type", ""),
            status=body.get("status", ""),
            attempts=int(body.get("attempts", 0)),
            response_code=body.get("response_code"),
            error=body.get("error", ""),
            next_retry_at=_time(body.get("next_retry_at")),
            created_at=_time(body.get("created_at")),
            raw=body,
        )


@dataclass(frozen=True)
class ImportResult:
    """`users/import`'s answer: what was created, skipped as a duplicate, refused (line numbers from 1)."""

    lines: int
    created: int
    skipped_duplicates: int
    invalid: int
    duplicate_lines: list[int]
    invalid_lines: list[dict[str, Any]]
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> ImportResult:
        return cls(
            lines=int(body.get("lines", 0)),
            created=int(body.get("created", 0)),
            skipped_duplicates=int(body.get("skipped_duplicates", 0)),
            invalid=int(body.get("invalid", 0)),
            duplicate_lines=list(body.get("duplicate_lines") or []),
            invalid_lines=list(body.get("invalid_lines") or []),
            raw=body,
        )
