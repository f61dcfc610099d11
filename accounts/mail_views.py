"""The mailed-link endpoints (email/verify, email/resend, password/forgot, password/reset): thin views
over the flows, like accounts.views; the links' own pages are accounts.link_pages."""

from drf_spectacular.utils import extend_schema_view
from rest_framework.response import Response

from accounts.errors import EmailTaken
from accounts.flows import email_verification, password_reset
from accounts.serializers import (
    AcceptedOutput,
    EmailOnlyInput,
    EmailTokenInput,
    EmailVerifiedOutput,
    PasswordResetInput,
    PasswordResetOutput,
)
from accounts.validation import normalize_email
from clientapi.api import ClientApi
from clientapi.openapi import MAIL, client_operation

# A bad, expired, used or other client's token is 400 invalid_request with fields.token.
# Requests by email answer 202 with one fixed body, so they never tell whether it exists.

RESEND_ACCEPTED = {"detail": "If this email belongs to an unverified account, a verification link is on its way."}
FORGOT_ACCEPTED = {"detail": "If this email belongs to an account, a password reset link is on its way."}


@extend_schema_view(
    post=client_operation(
        summary="Verify an email address with the mailed token",
        description=(
            "Marks the user's email verified, using the token from the link mailed at sign-up or by "
            "`email/resend`. You need it only if you send users to pages of your own: the mailed link "
            "opens a page of ours that does this for them. The token of an email change (mailed to the "
            "new address) switches the user to that address, verified; 409 `email_taken` if another "
            "user of this client took the address meanwhile.\n\n"
            "A bad, expired, already used or other client's token answers 400 `invalid_request` with "
            "`fields.token`."
        ),
        request=EmailTokenInput,
        responses={200: EmailVerifiedOutput},
        errors=(400, EmailTaken),
        tags=[MAIL],
    )
)
class EmailVerifyApi(ClientApi):
    action_name = "email_verify"

    def post(self, request, client_id):
        data = self.validated(EmailTokenInput)
        user = email_verification.email_verify(client=self.client, token=data["token"], request_meta=self.meta)
        return Response(EmailVerifiedOutput({"email_verified": True, "user_id": user.user_id}).data)


@extend_schema_view(
    post=client_operation(
        summary="Mail a new verification link (202 whatever the email)",
        description=(
            "Mails a new verification link if the email belongs to an unverified user of this client. "
            "Answers 202 with the same body whether or not it does, so the answer never reveals which "
            "emails are registered. 429 when one email asks too often."
        ),
        request=EmailOnlyInput,
        responses={202: AcceptedOutput},
        errors=(400,),
        tags=[MAIL],
    )
)
class EmailResendApi(ClientApi):
    action_name = "email_resend"

    def post(self, request, client_id):
        data = self.validated(EmailOnlyInput)
        self.limit("mail_email", normalize_email(data["email"]))
        self.limit_mail()
        email_verification.email_verification_send(client=self.client, email=data["email"], request_meta=self.meta)
        return Response(AcceptedOutput(RESEND_ACCEPTED).data, status=202)


@extend_schema_view(
    post=client_operation(
        summary="Mail a password reset link (202 whatever the email)",
        description=(
            "Mails a password reset link if the email belongs to a user of this client. Answers 202 "
            "with the same body whether or not it does, so the answer never reveals which emails are "
            "registered. 429 when one email asks too often."
        ),
        request=EmailOnlyInput,
        responses={202: AcceptedOutput},
        errors=(400,),
        tags=[MAIL],
    )
)
class PasswordForgotApi(ClientApi):
    action_name = "password_forgot"

    def post(self, request, client_id):
        data = self.validated(EmailOnlyInput)
        self.limit("mail_email", normalize_email(data["email"]))
        self.limit_mail()
        password_reset.password_reset_request(client=self.client, email=data["email"], request_meta=self.meta)
        return Response(AcceptedOutput(FORGOT_ACCEPTED).data, status=202)


@extend_schema_view(
    post=client_operation(
        summary="Set a new password with the mailed token",
        description=(
            "Sets a new password with the token from the mailed reset link, and marks the email "
            "verified (following the link proves the mailbox). Every refresh token of the user is "
            "revoked, so every session must log in again.\n\n"
            "A bad, expired, already used or other client's token answers 400 `invalid_request` with "
            "`fields.token`; a password the client's `password_policy` refuses 400 with each rule broken "
            "in `fields.new_password`. A reset also clears the failed logins the client's lockout counted "
            "for the email: a locked user logs in again with the new password."
        ),
        request=PasswordResetInput,
        responses={200: PasswordResetOutput},
        errors=(400,),
        tags=[MAIL],
    )
)
class PasswordResetApi(ClientApi):
    action_name = "password_reset"

    def post(self, request, client_id):
        data = self.validated(PasswordResetInput)
        user = password_reset.password_reset_confirm(client=self.client, request_meta=self.meta, **data)
        return Response(PasswordResetOutput({"password_reset": True, "user_id": user.user_id}).data)
