"""Central tables of accounts: `tokens` (refresh tokens) and `mail_outbox` (mails to send).

`tokens` has one row per refresh token ever issued (docs/api.md §5). The token itself is never stored, only an HMAC of it;
`token_id` is the id an opaque token (`rt_<token_id>.<secret>`) carries, or the `jti` of a legacy JWT one.
A refresh spends its row (`replaced_by` set) and adds the next one in the same family;
presenting a spent token revokes the whole family.
"""

import uuid

from django.db import models
from django.utils import timezone

from tenants.models import Client


class RefreshToken(models.Model):
    token_id = models.UUIDField(primary_key=True, editable=False)
    client = models.ForeignKey(Client, on_delete=models.CASCADE, db_column="client_id", related_name="+")
    user_id = models.UUIDField(db_index=True)
    token_hash = models.CharField(max_length=128)
    family_id = models.UUIDField(db_index=True)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)
    replaced_by = models.UUIDField(null=True, blank=True)

    class Meta:
        db_table = "tokens"
        ordering = ["-created_at"]
        verbose_name = "refresh token"

    def __str__(self) -> str:
        return str(self.token_id)

    @property
    def is_spent(self) -> bool:
        return self.replaced_by is not None

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None



class MailKind(models.TextChoices):
    VERIFY_EMAIL = "verify_email", "email verification"
    PASSWORD_RESET = "password_reset", "password reset"


class MailStatus(models.TextChoices):
    PENDING = "pending"  # waiting for a worker, first time or after a failed attempt
    SENDING = "sending"  # a worker holds it until lease_until
    SENT = "sent"
    FAILED = "failed"  # not sent by give_up_at: the dead letters
    DISCARDED = "discarded"  # by staff, or no longer wanted (the user is gone or already verified)


class OutboundMail(models.Model):
    """The outbox (`mail_outbox`): one row per request that may mail.

    The request writes the row and nothing else touches SMTP there; a worker
    (accounts.outbox) sends it. The link's token is minted when the mail is sent, so no row
    ever holds a live token, and `mail_id` is the mail's Message-ID: a retried mail is the
    same message to the relay and the reader.

    A request by email that decided not to mail (no such account, or one that wants no such
    mail) writes a stand-in, with no `user_id` and no `recipient`, so that it does the same work
    as one that mails; workers delete stand-ins.
    """

    mail_id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(Client, on_delete=models.CASCADE, db_column="client_id", related_name="+")
    user_id = models.UUIDField(db_index=True, null=True, blank=True)  # None: a stand-in
    recipient = models.CharField(max_length=320, blank=True)
    kind = models.CharField(max_length=32, choices=MailKind.choices)
    status = models.CharField(max_length=16, choices=MailStatus.choices, default=MailStatus.PENDING, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now, db_index=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)
    # created_at + AUTHSVC_MAIL_MAX_AGE_SECONDS (from the retry, when staff retry it).
    give_up_at = models.DateTimeField(db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "mail_outbox"
        ordering = ["-created_at"]
        verbose_name = "outbound mail"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.recipient or 'nobody (a stand-in)'} ({self.status})"
