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


# What a client sees of the staff member or operator behind a record: that someone acted, and how.
# Staff usernames are half of an admin login, and the operator's names are their own business.
ACTOR_SHOWN_TO_CLIENTS = ("kind", "via")


class AuditOutput(serializers.ModelSerializer):
    class Meta:
        model = AuditLog
        fields = ["audit_id", "client_id", "user_id", "action", "status", "reason", "ip_address", "user_agent", "timestamp", "metadata"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        actor = data["metadata"].get("actor") if isinstance(data["metadata"], dict) else None
        if isinstance(actor, dict):
            data["metadata"] = {**data["metadata"], "actor": {key: actor.get(key) for key in ACTOR_SHOWN_TO_CLIENTS}}
        return data
