"""Subscribers to the event catalog (core.events): the only writers of `audit_logs`.

One record per event. The trail keeps its own action names (they are what staff and clients
filter on), so each event maps to one here; a failure event is recorded as failed with its
reason. The payload's own fields become the record's metadata (UUIDs as text, an unset field
left out). Subscribed in AuditConfig.ready; what a record holds is computed once per event type.

A change made by staff (admin) or an operator (a command) carries its actor on the request meta;
every record of it names them in `metadata.actor` (docs/api.md §9).
"""

import uuid
from collections.abc import Callable
from dataclasses import fields

from accounts import events as accounts_events
from accounts import mfa_events
from audit import staff
from audit.events import AuditPurged, StaffLoginFailed
from audit.models import AuditStatus
from audit.services import AuditEvent, audit_record_or_log
from core.events import Event, Failure, subscribe
from core.refusals import CallRateLimited, CallRefused
from delivery.events import DeliveryDiscarded, DeliveryHandled, DeliveryRetried
from tenants import events as tenants_events
from webhooks import events as webhooks_events

# Event → the audit action it is recorded as. None: the action is the event's `operation`.
ACTIONS: dict[type[Event], str | None] = {
    tenants_events.ClientRegistered: "client_register",
    tenants_events.AccessKeyRotated: "access_key_rotate",
    tenants_events.AccessKeyRevoked: "access_key_revoke",
    tenants_events.ClientUpdated: "client_update",
    tenants_events.ClientDeactivated: "client_deactivate",
    tenants_events.ClientReactivated: "client_reactivate",
    tenants_events.ClientDeleted: "client_delete",
    tenants_events.ClientTestMailSent: "client_test_mail",
    tenants_events.ClientTestMailFailed: "client_test_mail",
    accounts_events.UserSignedUp: "signup",
    accounts_events.UserSignupFailed: "signup",
    accounts_events.UserLoggedIn: "login",
    accounts_events.UserLoginFailed: "login",
    accounts_events.UserLoginStopped: "login",
    # A login that asks for a second factor has not finished: its own action, so that "login" successes
    # stay finished logins (the dashboard counts them); the call that finishes it records the "login".
    mfa_events.MfaRequired: "login_mfa_required",
    mfa_events.MfaVerified: "login",
    mfa_events.RecoveryCodeUsed: "login",
    mfa_events.MfaFailed: "login",
    mfa_events.TotpEnrolmentStarted: "mfa_totp_enrol",
    mfa_events.TotpEnabled: "mfa_totp_confirm",
    mfa_events.TotpConfirmFailed: "mfa_totp_confirm",
    mfa_events.TotpRemoved: "mfa_totp_remove",
    mfa_events.RecoveryCodesRegenerated: "mfa_recovery_codes",
    mfa_events.MfaReset: "mfa_reset",
    mfa_events.PasskeyRegistered: "passkey_register",
    mfa_events.PasskeyRegisterFailed: "passkey_register",
    mfa_events.PasskeyRemoved: "passkey_remove",
    # A passwordless login is a finished login, like a password's (the dashboard counts it).
    mfa_events.PasskeyLoggedIn: "login",
    mfa_events.PasskeyLoginFailed: "login",
    mfa_events.PasskeySignCountRegressed: "passkey_sign_count",
    accounts_events.UserLockedOut: "login",
    accounts_events.UserUnlocked: "user_unlock",
    accounts_events.TokenRefreshed: "token_refresh",
    accounts_events.TokenRefreshFailed: "token_refresh",
    accounts_events.TokenReuseDetected: "token_reuse",
    accounts_events.UserLoggedOut: "logout",
    accounts_events.LogoutFailed: "logout",
    accounts_events.TokenFamilyRevoked: "token_revoke",
    accounts_events.TokenRevoked: "token_revoke",
    accounts_events.TokenRevokeFailed: "token_revoke",
    accounts_events.UserUpdated: "user_update",
    accounts_events.UserUpdateFailed: "user_update",
    accounts_events.UserDeleted: "user_delete",
    accounts_events.UsersImported: "user_import",
    accounts_events.UsersExported: "user_export",
    accounts_events.EmailVerificationRequested: "email_resend",
    accounts_events.EmailVerified: "email_verify",
    accounts_events.EmailVerifyFailed: "email_verify",
    accounts_events.EmailChanged: "email_change",
    accounts_events.PasswordResetRequested: "password_forgot",
    accounts_events.PasswordReset: "password_reset",
    accounts_events.PasswordResetFailed: "password_reset",
    accounts_events.PasswordChanged: "password_change",
    accounts_events.PasswordChangeFailed: "password_change",
    accounts_events.MailDeliveryFailed: "mail_delivery",
    accounts_events.TokensPurged: "token_purge",
    accounts_events.UserEmailsNormalized: "email_normalize",
    accounts_events.SigningKeyRotated: "signing_key_rotate",
    webhooks_events.WebhookCreated: "webhook_create",
    webhooks_events.WebhookDeleted: "webhook_delete",
    webhooks_events.WebhookSecretRotated: "webhook_rotate_secret",
    webhooks_events.WebhookDisabled: "webhook_disable",
    webhooks_events.WebhookEnabled: "webhook_enable",
    webhooks_events.WebhookDeliveryFailed: "webhook_delivery",
    AuditPurged: "audit_purge",
    CallRefused: None,
    CallRateLimited: "rate_limited",
    StaffLoginFailed: "admin_login",
}
# Fields that are the record's own columns (or its action), not metadata.
NOT_METADATA = {"client_id", "user_id", "request_meta", "reason", "operation"}
# A stopped login's reason already names what stopped it; its record stays what it was.
LEFT_OUT = {accounts_events.UserLoginStopped: {"stage"}}
# Unset fields that are kept as null: an at-once rotation's record says it signs from no later date.
KEPT_UNSET = {accounts_events.SigningKeyRotated: {"signs_from"}}


def _plain(value):
    if isinstance(value, uuid.UUID):
        return str(value)
    return list(value) if isinstance(value, tuple) else value


def _record(event: Event, action: str, status: str, metadata: dict) -> None:
    meta = event.request_meta
    if meta is not None and meta.actor is not None:
        metadata["actor"] = meta.actor.as_metadata()  # the staff member or operator behind it
    audit_record_or_log(
        event=AuditEvent(
            action=action,
            status=status,
            client_id=event.client_id,
            user_id=event.user_id,
            reason=getattr(event, "reason", ""),
            ip_address=meta.ip_address if meta else None,
            user_agent=meta.user_agent if meta else "",
            metadata=metadata,
        )
    )


def recorder(event_type: type[Event], action: str | None) -> Callable[[Event], None]:
    """The subscriber that records `event_type` as `action`: its fields are looked up here, once."""
    status = AuditStatus.FAILED if issubclass(event_type, Failure) else AuditStatus.SUCCESS
    left_out = NOT_METADATA | LEFT_OUT.get(event_type, set())
    metadata_fields = tuple(field.name for field in fields(event_type) if field.name not in left_out)

    kept_unset = KEPT_UNSET.get(event_type, set())

    def record(event) -> None:
        metadata = {
            name: _plain(value) for name in metadata_fields if (value := getattr(event, name)) is not None or name in kept_unset
        }
        _record(event, action or event.operation, status, metadata)

    record.__qualname__ = f"record_{event_type.name}"
    return record


def delivery_recorder(verb: str) -> Callable[[DeliveryHandled], None]:
    """`mail_retry`, `mail_discard`: named after the delivery's kind; ids say whose, never the address."""

    def record(event: DeliveryHandled) -> None:
        if event.kind == "mail":
            metadata = {"mail_id": str(event.delivery_id), "kind": event.topic}
        else:
            metadata = {"delivery_id": str(event.delivery_id), "topic": event.topic}
        _record(event, f"{event.kind}_{verb}", AuditStatus.SUCCESS, metadata)

    record.__qualname__ = f"record_delivery_{verb}"
    return record


SUBSCRIBERS = {event_type: recorder(event_type, action) for event_type, action in ACTIONS.items()} | {
    DeliveryRetried: delivery_recorder("retry"),
    DeliveryDiscarded: delivery_recorder("discard"),
}


def connect() -> None:
    for event_type, subscriber in SUBSCRIBERS.items():
        subscribe(event_type, subscriber)
    staff.connect()
