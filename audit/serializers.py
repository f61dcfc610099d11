from rest_framework import serializers

from audit.models import AuditLog, AuditStatus
from core.fields import StrictCharField
from core.serializers import QuerySerializer


class AuditQuery(QuerySerializer):
    action = StrictCharField(required=False, max_length=40)
    status = serializers.ChoiceField(choices=AuditStatus.choices, required=False)
    user_id = serializers.UUIDField(required=False)
    since = serializers.DateTimeField(required=False)
    cursor = StrictCharField(required=False, max_length=512)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=200, default=50)


class AuditOutput(serializers.ModelSerializer):
    class Meta:
        model = AuditLog
        fields = ["audit_id", "client_id", "user_id", "action", "status", "reason", "ip_address", "user_agent", "timestamp", "metadata"]
