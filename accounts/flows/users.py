"""The client's management of its users: update (custom fields, active flag, marking the email
verified) and delete."""

from accounts.events import UserDeleted, UserUpdated, UserUpdateFailed
from accounts.flows.email_change import email_change_ask
from accounts.flows.tokens import user_tokens_revoke
from accounts.validation import validate_custom_fields
from core.events import failures_published, publish
from core.request_meta import RequestMeta
from tenants.models import AbstractTenantUser, Client


def user_update(
    *,
    client: Client,
    user: AbstractTenantUser,
    custom_fields: dict | None = None,
    is_active: bool | None = None,
    email_verified: bool | None = None,
    email: str | None = None,
    request_meta: RequestMeta | None = None,
) -> AbstractTenantUser:
    """Apply what is given; one `user.updated` names the fields that changed (none: an empty tuple).

    `email_verified=True` marks the address verified (the client or staff vouch for it); it can
    only be set, never cleared, here (the serializer refuses false). `email` starts or makes an
    email change (accounts.flows.email_change): with `email_verified=True` the client vouches for
    the new address, which then applies at once, verified.
    """
    changed: list[str] = []
    with failures_published(UserUpdateFailed, client_id=client.client_id, request_meta=request_meta):
        if custom_fields is not None:
            user.custom_fields = validate_custom_fields(custom_fields, schema=client.custom_fields_schema)
            changed.append("custom_fields")
        # After every check that can refuse the call: a refused call changes and mails nothing.
        email_change = None if email is None else email_change_ask(client=client, user=user, new_email=email, vouched=bool(email_verified))
    if email_change is not None:
        changed.append("email")
    changed += _switches_apply(user, is_active=is_active, email_verified=bool(email_verified) and email_change is None)
    saved = [name for name in changed if name != "email"]  # the email change wrote its own
    if saved:
        also = ["token_generation"] if "is_active" in saved else []
        user.save(update_fields=[*saved, *also, "updated_at"])
    if "is_active" in changed and not user.is_active:
        user_tokens_revoke(client=client, user_id=user.user_id)
    # The new state too: an audit trail of a user switched off and on again must say which was which.
    new_state = user.is_active if "is_active" in changed else None
    envelope = {"client_id": client.client_id, "user_id": user.user_id, "request_meta": request_meta}
    publish(UserUpdated(**envelope, fields=tuple(changed), is_active=new_state, email_change=email_change))
    return user


def user_delete(*, client: Client, user: AbstractTenantUser, request_meta: RequestMeta | None = None) -> None:
    user_id = user.user_id
    user_tokens_revoke(client=client, user_id=user_id)
    user.delete()
    publish(UserDeleted(client_id=client.client_id, user_id=user_id, request_meta=request_meta))


def _switches_apply(user: AbstractTenantUser, *, is_active: bool | None, email_verified: bool) -> list[str]:
    """Set the user's switches that change; the names of those that did."""
    changed = []
    if is_active is not None and is_active != user.is_active:
        user.is_active = is_active
        # Both ways: a reactivated user's tokens from before the deactivation stay dead.
        user.token_generation = user.current_token_generation + 1
        changed.append("is_active")
    if email_verified and not user.email_verified:
        user.email_verified = True
        changed.append("email_verified")
    return changed
