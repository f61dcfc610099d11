"""Login: the password, then the login stages (accounts.flows.login_stages), then a token pair.

The answer is typed: LoginDone with the pair, LoginPending when a stage stopped a login
whose password was right (its `refusal`, already published as that stage's stop, is what the
API answers), or LoginContinues when a stage asks for a further call (a second factor).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from accounts.errors import InvalidCredentials
from accounts.events import UserLoggedIn, UserLoginFailed, UserLoginStopped
from accounts.flows.login_stages import LoginStep, login_stages
from accounts.flows.minting import TokenPair, pair_issue
from accounts.flows.passwords import password_check_spend, password_matches
from accounts.lockout import counted_login
from accounts.selectors import user_find_by_email
from accounts.validation import normalize_email
from core.errors import ServiceError
from core.events import failures_published, publish, publish_refusal
from core.request_meta import RequestMeta
from tenants.models import AbstractTenantUser, Client


@dataclass(frozen=True)
class LoginDone:
    user: AbstractTenantUser
    tokens: TokenPair


@dataclass(frozen=True)
class LoginPending:
    """The password was right, but the login is not finished: `stage` stopped it."""

    user: AbstractTenantUser
    stage: str
    refusal: ServiceError  # what the API answers; its event is published already


@dataclass(frozen=True)
class LoginContinues:
    """The password was right and `stage` asks for another call; the API answers `answer` (no tokens)."""

    user: AbstractTenantUser
    stage: str
    answer: Mapping[str, Any]


def user_login(
    *, client: Client, email: str, password: str, request_meta: RequestMeta | None = None
) -> LoginDone | LoginPending | LoginContinues:
    with failures_published(UserLoginFailed, client_id=client.client_id, request_meta=request_meta):
        with counted_login(client=client, email=email, request_meta=request_meta):
            user = _user_with_password(client=client, email=email, password=password)
    stopped = login_stages_run(client=client, user=user, request_meta=request_meta)
    if stopped is not None:
        return stopped
    pair = pair_issue(client=client, user=user)
    publish(UserLoggedIn(client_id=client.client_id, user_id=user.user_id, request_meta=request_meta))
    return LoginDone(user=user, tokens=pair)


def login_stages_run(
    *, client: Client, user: AbstractTenantUser, request_meta: RequestMeta | None = None, satisfied: frozenset[str] = frozenset()
) -> LoginPending | LoginContinues | None:
    """Run the login stages for a user whose credential was right, but those the credential itself
    `satisfied` (a passkey is both factors): None when every one lets the login go on."""
    for stage in login_stages():
        if stage.key in satisfied:
            continue
        refusal = stage.stop(client=client, user=user)
        if isinstance(refusal, LoginStep):  # not a refusal: the login goes on in another call
            publish(refusal.announce(request_meta))
            return LoginContinues(user=user, stage=stage.key, answer=refusal.answer)
        if refusal is not None:
            stopped = UserLoginStopped(
                client_id=client.client_id, user_id=user.user_id, request_meta=request_meta, reason=refusal.code, stage=stage.key
            )
            return LoginPending(user=user, stage=stage.key, refusal=publish_refusal(stopped, refusal))
    return None


def _user_with_password(*, client: Client, email: str, password: str) -> AbstractTenantUser:
    user = user_find_by_email(client=client, email=normalize_email(email))
    if user is None:
        password_check_spend(password)
        raise InvalidCredentials()
    if not password_matches(user, password):
        raise InvalidCredentials(user_id=user.user_id)
    return user
