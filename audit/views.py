from rest_framework.response import Response

from accounts.views import ClientApi
from audit.selectors import audit_list
from audit.serializers import AuditOutput, AuditQuery


class AuditListApi(ClientApi):
    """GET /api/v1/<client_id>/audit: this client's own records, newest first."""

    def get(self, request, client_id):
        query = AuditQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        page = audit_list(client_id=self.client.client_id, **query.validated_data)
        return Response({"results": AuditOutput(page.results, many=True).data, "next": page.next_cursor})
