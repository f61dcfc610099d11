"""Mail as one kind of delivery (the engine: delivery.services; docs/architecture.md, Mail).

A request that may mail queues a delivery of kind "mail" (`outbound_mail_queue`): its topic is
the MailKind, its target the address, its payload the user's id. It never touches SMTP, so a
slow or dead relay cannot slow a request or tell, by the clock, which emails have accounts. Nor
does the work it does: `password/forgot` and `email/resend` write one row and enqueue one job
whatever the email, and when no mail is wanted the row is a stand-in, with neither user nor
address, that whoever meets it deletes.

When the mail's turn comes, the worker asks `mail_wanted` again (the user may have verified,
or gone, meanwhile), then renders the mail with a link token minted at that moment and sends it
with the row's id as Message-ID. A mail never sent by its give-up time is announced as failed
(`mail_delivery_failed`). Retries, lease and give-up time come from the AUTHSVC_MAIL_* settings.
"""

import uuid

from accounts import emails
from accounts.events import MailDeliveryFailed
from accounts.models import MailKind
from accounts.selectors import user_get
from core.events import publish
from delivery.kinds import Policy, register_kind
from delivery.models import Delivery
from delivery.services import delivery_queue
from tenants.models import AbstractTenantUser, Client

KIND = "mail"


def mail_wanted(user: AbstractTenantUser | None, kind: str) -> bool:
    """Whether `user` is one a mail of `kind` goes to: the request decides with it, and the worker
    again when the mail's turn comes (the user may have verified, or gone, meanwhile)."""
    if user is None or not user.is_active:
        return False
    return not (kind == MailKind.VERIFY_EMAIL and user.email_verified)


def outbound_mail_queue(*, client: Client, user: AbstractTenantUser | None, kind: str) -> bool:
    """Queue a mail of `kind` to `user` if it wants one, and say whether.

    Either way the request does the same work: one row written, one job enqueued when the
    surrounding transaction commits. A request that only wrote (and enqueued) for an account
    answered a millisecond later than one for an unknown email, often enough to be told apart.
    When no mail is wanted the row is a stand-in: no user, no address (an address typed by
    anyone is not kept), and the worker or sweep that meets it deletes it.
    """
    wanted = mail_wanted(user, kind)
    delivery_queue(
        client=client,
        kind=KIND,
        topic=kind,
        target=user.email if wanted else "",
        # One shape either way: a stand-in's document is no smaller on MongoDB.
        payload={"user_id": str(user.user_id) if wanted else None},
    )
    return wanted


# --- the kind's hooks (the worker's side) -----------------------------------------------------


def email_change_mails_queue(*, client: Client, user: AbstractTenantUser, new_email: str | None) -> None:
    """An email change's mails: with `new_email`, the confirmation link to that address (the change
    is pending); without, the notice to the old address `user.email` (the change was made)."""
    if new_email is not None:
        topic, target, payload = MailKind.EMAIL_CHANGE, new_email, {"user_id": str(user.user_id), "from": user.email}
    else:
        topic, target, payload = MailKind.EMAIL_CHANGED, user.email, {"user_id": str(user.user_id)}
    delivery_queue(client=client, kind=KIND, topic=topic, target=target, payload=payload)


def mail_recipient(delivery: Delivery) -> AbstractTenantUser | None:
    """The user to mail, if the mail is still wanted and the address is still theirs.

    An email change's mails go to another address than the user's: the confirmation to the new
    one while the user's address is still the one it was asked from, the notice to the old one
    as long as the user exists."""
    user = user_get(client=delivery.client, user_id=delivery.payload["user_id"])
    if delivery.topic == MailKind.EMAIL_CHANGED:
        return user
    if delivery.topic == MailKind.EMAIL_CHANGE:
        return user if user is not None and user.is_active and user.email == delivery.payload.get("from") else None
    if not mail_wanted(user, delivery.topic) or user.email != delivery.target:
        return None
    return user


def mail_send(delivery: Delivery, user: AbstractTenantUser) -> None:
    # The row's id, not email.utils.make_msgid (which adds the time and a random number): a mail
    # sent again after a crash must be the same message to the relay and the reader.
    message_id = f"<{delivery.delivery_id}@{emails.service_host() or 'authsvc.invalid'}>"
    if delivery.topic in emails.NOTICE_MAILS:
        emails.send_notice_mail(kind=delivery.topic, client=delivery.client, to=delivery.target, message_id=message_id)
        return
    to = delivery.target if delivery.topic == MailKind.EMAIL_CHANGE else None
    emails.send_link_mail(kind=delivery.topic, client=delivery.client, user=user, message_id=message_id, to=to)


def mail_delivery_failed(delivery: Delivery) -> None:
    """Announce a mail never sent by its give-up time (audit records it as `mail_delivery`)."""
    publish(
        MailDeliveryFailed(
            client_id=delivery.client_id,
            user_id=uuid.UUID(delivery.payload["user_id"]),
            mail_id=delivery.delivery_id,
            kind=delivery.topic,
            attempts=delivery.attempts,
            last_error=delivery.last_error,
        )
    )


def mail_policy() -> Policy:
    return Policy.from_settings("AUTHSVC_MAIL")


def register() -> None:
    """Called by AccountsConfig.ready: the engine delivers kind "mail" with these hooks."""
    register_kind(KIND, wanted=mail_recipient, send=mail_send, on_give_up=mail_delivery_failed, policy=mail_policy)
