"""Per-user account changes a client's backend makes for its user: the password (with the
current one) and, later in this module, the email. Thin views over the flows."""

from drf_spectacular.utils import OpenApiExample, extend_schema_view
from rest_framework.response import Response

from accounts.errors import InvalidCredentials
from accounts.flows import password_change
from accounts.serializers import PasswordChangeInput
from accounts.views import _UserApi
from clientapi.openapi import USERS, client_operation


@extend_schema_view(
    post=client_operation(
        summary="Change a user's password with the current one",
        description=(
            "Sets `new_password` if `current_password` is the user's (one bcrypt check, like a login). "
            "Answers 204; every refresh token of the user is revoked and access tokens issued before are "
            "reported inactive by `token/verify`, so log the user in again with the new password.\n\n"
            "Errors: 401 `invalid_credentials` for a wrong current password; 400 `invalid_request` for a "
            "new password the client's `password_policy` refuses (each rule broken in `fields.new_password`) "
            "or any other key; 404 `not_found` "
            "if this client has no such user; 429 when one email (the `login_email` limit, shared with "
            "login) or one end-user IP (`login_ip`) tries too often."
        ),
        request=PasswordChangeInput,
        responses={204: None},
        errors=(400, InvalidCredentials),
        tags=[USERS],
        examples=[
            OpenApiExample(
                "change",
                request_only=True,
                value={"current_password": "correct horse battery", "new_password": "another horse battery"},
            )
        ],
    )
)
class UserPasswordChangeApi(_UserApi):
    action_name = "password_change"

    def post(self, request, client_id, user_id):
        data = self.validated(PasswordChangeInput)
        user = self.get_user(user_id)
        # Guessing the current password here is guessing a login: the same buckets count both.
        self.limit("login_ip", self.meta.end_user_ip_bucket)
        self.limit("login_email", user.email)
        password_change.password_change(client=self.client, user=user, request_meta=self.meta, **data)
        return Response(status=204)
