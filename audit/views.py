from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.response import Response

from accounts.views import ClientApi
from audit.selectors import audit_list
from audit.serializers import AuditOutput, AuditQuery
from tenants.openapi import error_responses


class AuditPageOutput(serializers.Serializer):
    results = AuditOutput(many=True)
    next = serializers.CharField(allow_null=True)


@extend_schema_view(get=extend_schema(summary="This client's audit records, newest first", parameters=[AuditQuery], responses={200: AuditPageOutput, **error_responses(400, 401, 403)}))
class AuditListApi(ClientApi):
    """GET /api/v1/<client_id>/audit: this client's own records, newest first."""

    def get(self, request, client_id):
        query = AuditQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        page = audit_list(client_id=self.client.client_id, **query.validated_data)
        return Response({"results": AuditOutput(page.results, many=True).data, "next": page.next_cursor})
