"""The stages a login runs after the password is right, in order (allauth's LoginStage, simpler).

Each stage looks at the user and either lets the login go on (None) or stops it with the error
the API answers: the login is then not finished (accounts.flows.login.LoginPending) and is
published as stopped at that stage, not as a wrong password. Only someone who knows the
password ever reaches a stage, so only they learn that an account is disabled or unverified.

A stage may also let the login go on in a further call instead of refusing it: it answers a
LoginStep (the body the API answers with 200, no tokens, and the event that announces it). The
second factor does that (accounts/flows/mfa_login.py: an `mfa_token` for `login/mfa`).

The stages are `login_stages()`: the built-in ones, then those registered with
`login_stage_register` (from an app's `ready()`), the place a second factor plugs in. The accounts
app registers its MFA stage (`mfa`) that way.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from accounts.errors import AccountDisabled, EmailNotVerified
from core.errors import ServiceError
from core.events import Event
from core.request_meta import RequestMeta
from tenants.models import AbstractTenantUser, Client


@dataclass(frozen=True)
class LoginStep:
    """The login is not refused but goes on in another call: the API answers `answer` (200, no tokens),
    and `announce(request_meta)` is the event published for this call."""

    answer: Mapping[str, Any]
    announce: Callable[[RequestMeta | None], Event]


class LoginStage(Protocol):
    key: ClassVar[str]  # published with a stopped login: which stage stopped it

    def stop(self, *, client: Client, user: AbstractTenantUser) -> ServiceError | LoginStep | None:
        """None lets the login go on; an error stops it here (the API answers that error); a LoginStep
        ends this call without tokens, the login going on in the call its answer names."""


class AccountActive:
    key = "account_active"

    def stop(self, *, client: Client, user: AbstractTenantUser) -> ServiceError | None:
        return None if user.is_active else AccountDisabled(user_id=user.user_id)


class EmailVerified:
    key = "email_verified"

    def stop(self, *, client: Client, user: AbstractTenantUser) -> ServiceError | None:
        if client.require_email_verification and not user.email_verified:
            return EmailNotVerified(user_id=user.user_id)
        return None


BUILT_IN: tuple[LoginStage, ...] = (AccountActive(), EmailVerified())
_registered: tuple[LoginStage, ...] = ()


def login_stages() -> tuple[LoginStage, ...]:
    return BUILT_IN + _registered


def login_stage_register(stage: LoginStage) -> None:
    """Run `stage` after the built-in ones (and after those registered before it)."""
    global _registered
    if any(known.key == stage.key for known in login_stages()):
        raise ValueError(f"A login stage {stage.key!r} is already registered.")
    _registered = (*_registered, stage)


def login_stage_unregister(key: str) -> None:
    global _registered
    _registered = tuple(stage for stage in _registered if stage.key != key)
