"""Unlock: staff clear the failed logins counted against a user's email (accounts.lockout), so
that a user a lockout refuses can log in again without a password reset."""

from accounts.events import UserUnlocked
from accounts.lockout import login_failures_clear
from core.events import publish
from core.request_meta import RequestMeta
from tenants.models import AbstractTenantUser, Client


def user_unlock(*, client: Client, user: AbstractTenantUser, request_meta: RequestMeta | None = None) -> None:
    login_failures_clear(client=client, email=user.email)
    publish(UserUnlocked(client_id=client.client_id, user_id=user.user_id, request_meta=request_meta))
