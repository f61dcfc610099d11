"""Signal receivers: the only writers of `audit_logs`. Connected in AuditConfig.ready.

A change made by staff (admin) or an operator (a command) carries its actor on the request meta;
every record of it names them in `metadata.actor` (docs/api.md §9)."""

from axes.signals import user_locked_out
from django.contrib.auth import signals as staff_signals

from accounts import signals as account_signals
from audit import signals as audit_signals
from audit.models import AuditStatus
from audit.services import AuditEvent, audit_record_or_log
from core.failures import action_failed
from core.request_meta import request_meta
from delivery import signals as delivery_signals
from tenants import signals as tenant_signals

SUCCESS = AuditStatus.SUCCESS
FAILED = AuditStatus.FAILED


def _record(action: str, status: str, *, client=None, client_id=None, user_id=None, request_meta=None, reason: str = "", metadata=None) -> None:
    metadata = dict(metadata or {})
    if request_meta is not None and request_meta.actor is not None:
        metadata["actor"] = request_meta.actor.as_metadata()  # the staff member or operator behind it
    audit_record_or_log(
        event=AuditEvent(
            action=action,
            status=status,
            client_id=client.client_id if client is not None else client_id,
            user_id=user_id,
            reason=reason or "",
            ip_address=request_meta.ip_address if request_meta else None,
            user_agent=request_meta.user_agent if request_meta else "",
            metadata=metadata,
        )
    )


def _simple(action: str, status: str):
    """A receiver recording `action` with `status` from a signal's standard keyword arguments."""

    def receiver(sender, client=None, user_id=None, request_meta=None, reason="", metadata=None, **extra):
        _record(action, status, client=client, user_id=user_id, request_meta=request_meta, reason=reason, metadata=metadata)

    receiver.__name__ = f"record_{action}_{status}"
    return receiver


def record_action_failed(sender, action, client=None, user_id=None, request_meta=None, reason="", metadata=None, **extra):
    _record(action, FAILED, client=client, user_id=user_id, request_meta=request_meta, reason=reason, metadata=metadata)


def record_client_registered(sender, client, request_meta=None, surface="api", **extra):
    _record("client_register", SUCCESS, client=client, request_meta=request_meta, metadata={"surface": surface})


def record_access_key_rotated(sender, client, key_id, revoked_key_ids=(), request_meta=None, **extra):
    _record(
        "access_key_rotate",
        SUCCESS,
        client=client,
        request_meta=request_meta,
        metadata={"key_id": key_id, "revoked_key_ids": list(revoked_key_ids)},
    )


def record_access_key_revoked(sender, client, key_id, request_meta=None, **extra):
    _record("access_key_revoke", SUCCESS, client=client, request_meta=request_meta, metadata={"key_id": key_id})


def record_client_updated(sender, client, fields=(), request_meta=None, **extra):
    _record("client_update", SUCCESS, client=client, request_meta=request_meta, metadata={"fields": list(fields)})


def record_client_deactivated(sender, client, request_meta=None, **extra):
    _record("client_deactivate", SUCCESS, client=client, request_meta=request_meta)


def record_client_reactivated(sender, client, request_meta=None, **extra):
    _record("client_reactivate", SUCCESS, client=client, request_meta=request_meta)


def record_client_deleted(sender, client_id, request_meta=None, **extra):
    _record("client_delete", SUCCESS, client_id=client_id, request_meta=request_meta)


# Staff names are short; anything longer is more likely a password typed into the wrong box.
STAFF_NAME_KEPT = 150


def _record_admin_login(reason: str, request, username) -> None:
    """A refused staff login: the name tried and where from, never the password."""
    _record(
        "admin_login",
        FAILED,
        request_meta=request_meta(request, key_is_valid=False) if request is not None else None,
        reason=reason,
        metadata={"username": str(username or "")[:STAFF_NAME_KEPT]},
    )


def record_admin_login_failed(sender, credentials, request=None, **extra):
    # A login refused for a lockout checked no password, so it is no invalid_credentials: Axes
    # marks such a request locked without counting a failure, and record_admin_locked_out records it.
    if getattr(request, "axes_locked_out", False) and getattr(request, "axes_failures_since_start", None) is None:
        return
    _record_admin_login("invalid_credentials", request, (credentials or {}).get("username"))


def record_admin_locked_out(sender, request=None, username=None, ip_address=None, **extra):
    _record_admin_login("locked_out", request, username)


def _record_delivery_by_hand(verb: str, delivery, request_meta) -> None:
    """`mail_retry`, `mail_discard`: named after the kind; ids say whose, never the address."""
    metadata = {"mail_id": str(delivery.delivery_id), "kind": delivery.topic} if delivery.kind == "mail" else {
        "delivery_id": str(delivery.delivery_id), "topic": delivery.topic,
    }
    user_id = (delivery.payload or {}).get("user_id") or None
    _record(f"{delivery.kind}_{verb}", SUCCESS, client_id=delivery.client_id, user_id=user_id, request_meta=request_meta, metadata=metadata)


def record_delivery_retried(sender, delivery, request_meta=None, **extra):
    _record_delivery_by_hand("retry", delivery, request_meta)


def record_delivery_discarded(sender, delivery, request_meta=None, **extra):
    _record_delivery_by_hand("discard", delivery, request_meta)


RECEIVERS = [
    (tenant_signals.client_registered, record_client_registered),
    (tenant_signals.access_key_rotated, record_access_key_rotated),
    (tenant_signals.access_key_revoked, record_access_key_revoked),
    (tenant_signals.client_updated, record_client_updated),
    (tenant_signals.client_deactivated, record_client_deactivated),
    (tenant_signals.client_reactivated, record_client_reactivated),
    (tenant_signals.client_deleted, record_client_deleted),
    (account_signals.user_signed_up, _simple("signup", SUCCESS)),
    (account_signals.user_logged_in, _simple("login", SUCCESS)),
    (account_signals.user_logged_out, _simple("logout", SUCCESS)),
    (account_signals.token_family_revoked, _simple("token_revoke", SUCCESS)),
    (account_signals.token_refreshed, _simple("token_refresh", SUCCESS)),
    (account_signals.email_verified, _simple("email_verify", SUCCESS)),
    (account_signals.email_verification_sent, _simple("email_resend", SUCCESS)),
    (account_signals.password_reset_requested, _simple("password_forgot", SUCCESS)),
    (account_signals.password_reset_done, _simple("password_reset", SUCCESS)),
    (account_signals.user_updated, _simple("user_update", SUCCESS)),
    (account_signals.user_deleted, _simple("user_delete", SUCCESS)),
    (account_signals.mail_failed, _simple("mail_delivery", FAILED)),
    (delivery_signals.delivery_retried, record_delivery_retried),
    (delivery_signals.delivery_discarded, record_delivery_discarded),
    (account_signals.tokens_purged, _simple("token_purge", SUCCESS)),
    (account_signals.user_emails_normalized, _simple("email_normalize", SUCCESS)),
    (account_signals.signing_key_rotated, _simple("signing_key_rotate", SUCCESS)),
    (audit_signals.audit_purged, _simple("audit_purge", SUCCESS)),
    (action_failed, record_action_failed),
    (staff_signals.user_login_failed, record_admin_login_failed),
    (user_locked_out, record_admin_locked_out),
]


def connect() -> None:
    for signal, receiver in RECEIVERS:
        signal.connect(receiver, dispatch_uid=f"audit.{receiver.__name__}")
