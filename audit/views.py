from drf_spectacular.utils import extend_schema_view
from rest_framework import serializers
from rest_framework.response import Response

from audit.selectors import audit_list
from audit.serializers import AuditOutput, AuditQuery
from clientapi.api import ClientApi
from clientapi.openapi import AUDIT, client_operation


class AuditPageOutput(serializers.Serializer):
    results = AuditOutput(many=True)
    next = serializers.CharField(allow_null=True)


@extend_schema_view(
    get=client_operation(
        summary="This client's audit records, newest first",
        description=(
            "Pages through the audit trail of this client: one record per sign-up, login, refresh, "
            "logout, email or password step, user change, refused key and rate-limited call, with its "
            "outcome, reason, end-user IP and agent. Filter by `action`, `status` (success or failed), "
            "`user_id` or `since` (ISO 8601); `limit` is 1 to 200 (default 50). When `next` is not "
            "null, pass it as `cursor` for the following page. Records never hold passwords, tokens "
            "or keys.\n\n"
            "Read-only: leaves an audit record only when the call is refused (bad key, invalid query, "
            "rate limit)."
        ),
        parameters=[AuditQuery],
        responses={200: AuditPageOutput},
        errors=(400,),
        tags=[AUDIT],
    )
)
class AuditListApi(ClientApi):
    action_name = "audit_list"

    def get(self, request, client_id):
        query = AuditQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        page = audit_list(client_id=self.client.client_id, **query.validated_data)
        return Response(AuditPageOutput({"results": page.results, "next": page.next_cursor}).data)
