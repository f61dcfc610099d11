"""The central `audit_logs` table (docs/api.md §9), written only by `audit.receivers`."""

import uuid

from django.db import models
from django.utils import timezone


class AuditStatus(models.TextChoices):
    SUCCESS = "success", "success"
    FAILED = "failed", "failed"


class AuditLog(models.Model):
    audit_id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Plain ids, not foreign keys: the trail outlives deleted clients and users.
    client_id = models.UUIDField(null=True, blank=True, db_index=True)
    user_id = models.UUIDField(null=True, blank=True, db_index=True)
    action = models.CharField(max_length=40, db_index=True)
    status = models.CharField(max_length=8, choices=AuditStatus.choices)
    reason = models.CharField(max_length=40, blank=True, default="")
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=512, blank=True, default="")
    timestamp = models.DateTimeField(default=timezone.now, db_index=True)
    metadata = models.JSONField(default=dict, blank=True)

    class Meta:
        db_table = "audit_logs"
        ordering = ["-timestamp", "-audit_id"]
        indexes = [models.Index(fields=["client_id", "-timestamp"], name="audit_client_time")]

    def __str__(self) -> str:
        return f"{self.action} {self.status} {self.timestamp:%Y-%m-%d %H:%M:%S}"
