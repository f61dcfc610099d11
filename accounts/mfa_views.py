"""Second factors over the API: the client's backend manages a user's TOTP and recovery codes, and relays a
login's second step (`login/mfa`) and, where the client requires a factor, its enrolment. Thin views over
accounts.flows.mfa and accounts.flows.mfa_login."""

from dataclasses import asdict

from drf_spectacular.utils import OpenApiExample, extend_schema_view
from rest_framework.response import Response

from accounts.errors import InvalidMfaCode, InvalidToken, MfaConflict
from accounts.flows import mfa, mfa_login
from accounts.mfa_serializers import (
    CodeInput,
    LoginMfaInput,
    LoginTotpConfirmInput,
    LoginTotpConfirmOutput,
    MfaTokenInput,
    RecoveryCodesOutput,
    TotpEnrolOutput,
)
from accounts.models import MfaPurpose
from accounts.serializers import LoginOutput
from accounts.views import _UserApi
from clientapi.api import ClientApi
from clientapi.openapi import ACCOUNTS, USERS, client_operation

CODE_LIMITS = "429 when one user (`mfa_user`) or one end-user IP (`mfa_ip`) tries too many codes."


class _MfaCodeApi(ClientApi):
    # Not a docstring (drf-spectacular would publish it). Every call that checks a code counts it per
    # end-user address and per user, like login's two buckets.

    def limit_codes(self, user_id) -> None:
        self.limit("mfa_ip", self.meta.end_user_ip_bucket)
        self.limit("mfa_user", str(user_id))

    def open_challenge(self, mfa_token: str, purpose: str):
        self.limit("mfa_ip", self.meta.end_user_ip_bucket)
        challenge = mfa_login.mfa_challenge_open(client=self.client, mfa_token=mfa_token, purpose=purpose, request_meta=self.meta)
        self.limit("mfa_user", str(challenge.user_id))
        return challenge


@extend_schema_view(
    post=client_operation(
        summary="Start a TOTP enrolment",
        description=(
            "Issues a new TOTP secret for the user, pending until `mfa/totp/confirm` receives a code of it. Show "
            "`otpauth_uri` as a QR code (its issuer is your client's name) or `secret` for typing; neither is shown "
            "again. Calling it again replaces a pending secret. 409 `mfa_conflict` when TOTP is already on "
            "(DELETE it first); 404 `not_found` if this client has no such user."
        ),
        request=None,
        responses={201: TotpEnrolOutput},
        errors=(MfaConflict,),
        tags=[USERS],
    )
)
class TotpEnrolApi(_UserApi):
    action_name = "mfa_totp_enrol"

    def post(self, request, client_id, user_id):
        enrolment = mfa.totp_enrol(client=self.client, user=self.get_user(user_id), request_meta=self.meta)
        return Response(TotpEnrolOutput(asdict(enrolment)).data, status=201)


@extend_schema_view(
    delete=client_operation(
        summary="Remove the user's TOTP",
        description=(
            "Turns TOTP off (or drops a pending enrolment). With no other factor left, the recovery codes go too and "
            "the user logs in with the password alone (unless the client's `mfa_policy` is `required`). 404 "
            "`not_found` when the user has no TOTP."
        ),
        responses={204: None},
        tags=[USERS],
    )
)
class TotpRemoveApi(_UserApi):
    action_name = "mfa_totp_remove"

    def delete(self, request, client_id, user_id):
        mfa.totp_remove(client=self.client, user=self.get_user(user_id), request_meta=self.meta)
        return Response(status=204)


@extend_schema_view(
    post=client_operation(
        summary="Confirm a TOTP enrolment with a code",
        description=(
            "Turns the pending TOTP on when `code` is a current code of its secret, and answers ten recovery codes "
            "(show them to the user once). From then on a login with the password answers `mfa_required`. 401 "
            f"`invalid_mfa_code` for a wrong code; 409 `mfa_conflict` when nothing is pending. {CODE_LIMITS}"
        ),
        request=CodeInput,
        responses={200: RecoveryCodesOutput},
        errors=(400, InvalidMfaCode, MfaConflict),
        tags=[USERS],
        examples=[OpenApiExample("confirm", request_only=True, value={"code": "492039"})],
    )
)
class TotpConfirmApi(_UserApi, _MfaCodeApi):
    action_name = "mfa_totp_confirm"

    def post(self, request, client_id, user_id):
        data = self.validated(CodeInput)
        user = self.get_user(user_id)
        self.limit_codes(user.user_id)
        codes = mfa.totp_confirm(client=self.client, user=user, request_meta=self.meta, **data)
        return Response(RecoveryCodesOutput({"recovery_codes": codes}).data)


@extend_schema_view(
    post=client_operation(
        summary="Issue a new set of recovery codes",
        description=(
            "Ten new recovery codes replace the user's old ones, which stop working at once. 409 `mfa_conflict` "
            "when the user has no factor on."
        ),
        request=None,
        responses={200: RecoveryCodesOutput},
        errors=(MfaConflict,),
        tags=[USERS],
    )
)
class RecoveryCodesApi(_UserApi):
    action_name = "mfa_recovery_codes"

    def post(self, request, client_id, user_id):
        codes = mfa.recovery_codes_regenerate(client=self.client, user=self.get_user(user_id), request_meta=self.meta)
        return Response(RecoveryCodesOutput({"recovery_codes": codes}).data)


@extend_schema_view(
    post=client_operation(
        summary="Finish a login with a second factor",
        description=(
            "After `login` answered `mfa_required`, send its `mfa_token` with a code: a current TOTP code (each "
            "accepted once) or a recovery code (each usable once). Answers the token pair, as `login` does.\n\n"
            "401 `invalid_mfa_code` for a wrong or replayed code (the token allows 5 codes); 401 `invalid_token` "
            f"when the `mfa_token` is unknown, another client's, expired (5 minutes), used or used up: log in again. {CODE_LIMITS}"
        ),
        request=LoginMfaInput,
        responses={200: LoginOutput},
        errors=(400, InvalidMfaCode, InvalidToken),
        tags=[ACCOUNTS],
        examples=[OpenApiExample("totp", request_only=True, value={"mfa_token": "mfa_3f6c…", "code": "492039"})],
    )
)
class LoginMfaApi(_MfaCodeApi):
    action_name = "login_mfa"

    def post(self, request, client_id):
        data = self.validated(LoginMfaInput)
        challenge = self.open_challenge(data.pop("mfa_token"), MfaPurpose.VERIFY)
        done = mfa_login.mfa_login_verify(client=self.client, challenge=challenge, proofs=data, request_meta=self.meta)
        return Response(LoginOutput({"user_id": done.user.user_id, **asdict(done.tokens)}).data)


@extend_schema_view(
    post=client_operation(
        summary="Enrol TOTP during a login (the client requires a factor)",
        description=(
            "After `login` answered `mfa_enrollment_required`, send its `mfa_token`: answers a pending TOTP secret "
            "for the user, as `users/{user_id}/mfa/totp` does. Then confirm it with `login/mfa/totp/confirm`. 401 "
            "`invalid_token` when the `mfa_token` is not a live enrolment token of this client."
        ),
        request=MfaTokenInput,
        responses={201: TotpEnrolOutput},
        errors=(400, InvalidToken, MfaConflict),
        tags=[ACCOUNTS],
    )
)
class LoginTotpEnrolApi(_MfaCodeApi):
    action_name = "login_mfa_totp"

    def post(self, request, client_id):
        data = self.validated(MfaTokenInput)
        challenge = self.open_challenge(data["mfa_token"], MfaPurpose.ENROL)
        enrolment = mfa_login.mfa_login_totp_enrol(client=self.client, challenge=challenge, request_meta=self.meta)
        return Response(TotpEnrolOutput(asdict(enrolment)).data, status=201)


@extend_schema_view(
    post=client_operation(
        summary="Confirm TOTP during a login and finish it",
        description=(
            "Turns the pending TOTP on with a code of it, and finishes the login: the token pair and ten recovery "
            "codes. 401 `invalid_mfa_code` for a wrong code (the token allows 5), 401 `invalid_token` for a dead "
            f"`mfa_token`. {CODE_LIMITS}"
        ),
        request=LoginTotpConfirmInput,
        responses={200: LoginTotpConfirmOutput},
        errors=(400, InvalidMfaCode, InvalidToken, MfaConflict),
        tags=[ACCOUNTS],
    )
)
class LoginTotpConfirmApi(_MfaCodeApi):
    action_name = "login_mfa_totp_confirm"

    def post(self, request, client_id):
        data = self.validated(LoginTotpConfirmInput)
        challenge = self.open_challenge(data["mfa_token"], MfaPurpose.ENROL)
        enrolled = mfa_login.mfa_login_totp_confirm(client=self.client, challenge=challenge, code=data["code"], request_meta=self.meta)
        body = {"user_id": enrolled.done.user.user_id, **asdict(enrolled.done.tokens), "recovery_codes": enrolled.recovery_codes}
        return Response(LoginTotpConfirmOutput(body).data)
