"""The stages a login runs after the password is right, in order (allauth's LoginStage, simpler).

Each stage looks at the user and either lets the login go on (None) or stops it with the error
the API answers: the login is then not finished (accounts.flows.login.LoginPending) and is
published as stopped at that stage, not as a wrong password. Only someone who knows the
password ever reaches a stage, so only they learn that an account is disabled or unverified.

The stages are `login_stages()`: the built-in ones, then those registered with
`login_stage_register` (from an app's `ready()`), the place a second factor plugs in. None is
registered by default.
"""

from typing import ClassVar, Protocol

from accounts.errors import AccountDisabled, EmailNotVerified
from core.errors import ServiceError
from tenants.models import AbstractTenantUser, Client


class LoginStage(Protocol):
    key: ClassVar[str]  # published with a stopped login: which stage stopped it

    def stop(self, *, client: Client, user: AbstractTenantUser) -> ServiceError | None:
        """None lets the login go on; an error stops it here (the API answers that error)."""


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
