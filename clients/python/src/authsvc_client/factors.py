"""What the second-factor and passkey calls answer (docs/api.md §3b). Secrets (a TOTP secret, its
otpauth URI, recovery codes) are readable attributes but never in a repr, so logging a result leaks none."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .models import TokenPair, _time


@dataclass(frozen=True)
class TotpEnrolment:
    """A pending TOTP secret: show `otpauth_uri` as a QR code (or `secret` for typing), once; a code of it
    confirms the enrolment (`confirm_totp`, or `login_mfa_totp_confirm` during a login)."""

    secret: str = field(repr=False)
    otpauth_uri: str = field(repr=False)  # it carries the secret

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> TotpEnrolment:
        return cls(secret=body["secret"], otpauth_uri=body["otpauth_uri"])


@dataclass(frozen=True)
class RecoveryCodes:
    """Ten single-use codes, shown once (the service keeps only digests): iterate over it, or `codes`."""

    codes: list[str] = field(repr=False)

    def __iter__(self) -> Iterator[str]:
        return iter(self.codes)

    def __len__(self) -> int:
        return len(self.codes)

    def __repr__(self) -> str:
        return f"RecoveryCodes({len(self.codes)} codes)"

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> RecoveryCodes:
        return cls(codes=list(body["recovery_codes"]))


@dataclass(frozen=True)
class EnrolledLogin:
    """`login_mfa_totp_confirm`: TOTP is on, the login is finished (`tokens`), and its recovery codes."""

    tokens: TokenPair
    recovery_codes: RecoveryCodes

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> EnrolledLogin:
        return cls(tokens=TokenPair.from_json(body), recovery_codes=RecoveryCodes.from_json(body))


@dataclass(frozen=True)
class Passkey:
    """One of a user's passkeys (never its key or credential id); `register_passkey` answers id and name only."""

    passkey_id: str
    name: str
    created_at: datetime | None = None
    last_used_at: datetime | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> Passkey:
        return cls(
            passkey_id=body["passkey_id"], name=body.get("name") or "",
            created_at=_time(body.get("created_at")), last_used_at=_time(body.get("last_used_at")), raw=body,
        )


def passkey_list(body: dict[str, Any]) -> list[Passkey]:
    return [Passkey.from_json(item) for item in body["passkeys"]]


@dataclass(frozen=True)
class PasskeyLoginOptions:
    """A passwordless login's challenge: hand `options` to the page (`navigator.credentials.get()`, after
    `PublicKeyCredential.parseRequestOptionsFromJSON`), then send `challenge_id` and its answer to `login_passkey`."""

    challenge_id: str
    options: dict[str, Any]

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> PasskeyLoginOptions:
        return cls(challenge_id=str(body["challenge_id"]), options=body["options"])
