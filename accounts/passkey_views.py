"""Passkeys over the API: the client's backend registers, lists and removes a user's passkeys, and relays
a passwordless login (`login/passkey`) or a passkey as a login's second factor (`login/mfa/passkey/options`,
then `login/mfa`). The browser part (navigator.credentials) is the client's page. Thin views over
accounts.flows.passkeys and accounts.flows.passkey_login."""

from dataclasses import asdict

from drf_spectacular.utils import OpenApiExample, extend_schema_view
from rest_framework.response import Response

from accounts.errors import AccountDisabled, EmailNotVerified, InvalidPasskey, InvalidToken, MfaConflict, PasskeysNotConfigured
from accounts.flows import mfa_login, passkey_login, passkeys
from accounts.flows.login import LoginContinues, LoginPending
from accounts.mfa_serializers import LoginResponse, MfaTokenInput
from accounts.models import MfaPurpose
from accounts.passkey_serializers import (
    CreationOptionsOutput,
    PasskeyListOutput,
    PasskeyLoginInput,
    PasskeyLoginOptionsInput,
    PasskeyLoginOptionsOutput,
    PasskeyRegisteredOutput,
    PasskeyRegisterInput,
    RequestOptionsOutput,
)
from accounts.passkeys import passkey_shown, passkeys_of
from accounts.serializers import LoginOutput
from accounts.validation import normalize_email
from accounts.views import _UserApi
from clientapi.api import ClientApi
from clientapi.openapi import ACCOUNTS, USERS, client_operation

NOT_CONFIGURED = "409 `passkeys_not_configured` until the client sets `passkey_rp_id` (`PATCH /api/v1/{client_id}/`)."


@extend_schema_view(
    post=client_operation(
        summary="Start a passkey registration",
        description=(
            "Answers the options of `navigator.credentials.create()` for a new passkey of the user, as WebAuthn JSON: "
            "in the browser, `PublicKeyCredential.parseCreationOptionsFromJSON(options)`, then "
            "`navigator.credentials.create({publicKey})`, and send `credential.toJSON()` to `users/{user_id}/passkeys`. "
            "Its challenge is single-use and lives 5 minutes. 409 `mfa_conflict` when the user has 10 passkeys. "
            f"{NOT_CONFIGURED}"
        ),
        request=None,
        responses={200: CreationOptionsOutput},
        errors=(MfaConflict, PasskeysNotConfigured),
        tags=[USERS],
    )
)
class PasskeyRegistrationOptionsApi(_UserApi):
    action_name = "passkey_register_options"

    def post(self, request, client_id, user_id):
        options = passkeys.passkey_registration_options(client=self.client, user=self.get_user(user_id))
        return Response(CreationOptionsOutput(options).data)


@extend_schema_view(
    get=client_operation(
        summary="List the user's passkeys",
        description="Each passkey's id, name and dates; never a key or a credential id. Read-only.",
        responses={200: PasskeyListOutput},
        tags=[USERS],
    ),
)
class PasskeyListApi(_UserApi):
    action_name = "passkey_list"

    def get(self, request, client_id, user_id):
        user = self.get_user(user_id)
        return Response(PasskeyListOutput({"passkeys": [passkey_shown(passkey) for passkey in passkeys_of(user.mfa or {})]}).data)


@extend_schema_view(
    post=client_operation(
        summary="Register a passkey",
        description=(
            "Stores the passkey the browser's credential proves (the answer to `passkeys/registration/options`). From then "
            "on the user can log in with it alone (`login/passkey`), and a password login asks for a second factor, "
            "`passkey` among its `methods`. 400 `invalid_request` (`fields.credential`) when the credential is malformed, "
            "answers no live challenge of this user (unknown, expired, used: ask for new options), or was made for another "
            "relying party id or origin; 409 `mfa_conflict` when it is registered already or the user has 10. "
            f"{NOT_CONFIGURED}"
        ),
        request=PasskeyRegisterInput,
        responses={201: PasskeyRegisteredOutput},
        errors=(400, MfaConflict, PasskeysNotConfigured),
        tags=[USERS],
    ),
)
class PasskeyRegisterApi(_UserApi):
    action_name = "passkey_register"

    def post(self, request, client_id, user_id):
        data = self.validated(PasskeyRegisterInput)
        shown = passkeys.passkey_register(client=self.client, user=self.get_user(user_id), request_meta=self.meta, **data)
        return Response(PasskeyRegisteredOutput(shown).data, status=201)


@extend_schema_view(
    delete=client_operation(
        summary="Remove a passkey",
        description=(
            "The passkey no longer logs the user in. With no factor left, the recovery codes go too. 404 `not_found` "
            "when the user has no such passkey."
        ),
        responses={204: None},
        tags=[USERS],
    )
)
class PasskeyRemoveApi(_UserApi):
    action_name = "passkey_remove"

    def delete(self, request, client_id, user_id, passkey_id):
        passkeys.passkey_remove(client=self.client, user=self.get_user(user_id), passkey_id=str(passkey_id), request_meta=self.meta)
        return Response(status=204)


@extend_schema_view(
    post=client_operation(
        summary="Start a passwordless login with a passkey",
        description=(
            "Answers a `challenge_id` and the `options` of `navigator.credentials.get()` (WebAuthn JSON: "
            "`PublicKeyCredential.parseRequestOptionsFromJSON(options)`). With `email`, the options list that user's "
            "passkeys; an email with no account or no passkey gets an answer of the same shape (no one learns which "
            "emails have accounts). Without, they let the browser offer any passkey the user has for this site. "
            f"The challenge is single-use and lives 5 minutes. 429 as `login` (`login_ip`, `login_email`). {NOT_CONFIGURED}"
        ),
        request=PasskeyLoginOptionsInput,
        responses={200: PasskeyLoginOptionsOutput},
        errors=(400, PasskeysNotConfigured),
        tags=[ACCOUNTS],
        examples=[OpenApiExample("by email", request_only=True, value={"email": "ada@example.com"})],
    )
)
class PasskeyLoginOptionsApi(ClientApi):
    action_name = "login_passkey_options"

    def post(self, request, client_id):
        data = self.validated(PasskeyLoginOptionsInput)
        self.limit("login_ip", self.meta.end_user_ip_bucket)
        if "email" in data:
            self.limit("login_email", normalize_email(data["email"]))
        options = passkey_login.passkey_login_options(client=self.client, email=data.get("email"))
        return Response(PasskeyLoginOptionsOutput(asdict(options)).data)


@extend_schema_view(
    post=client_operation(
        summary="Log a user in with a passkey",
        description=(
            "Send the `challenge_id` of `login/passkey/options` and the browser's `credential.toJSON()`: answers the "
            "token pair, as `login` does. The passkey is both factors, so no second step is asked for; a disabled "
            "account or an unverified email (when the client requires it) is refused as at `login`, 403.\n\n"
            "401 `invalid_passkey` for any refused credential (malformed, another client's or an expired or used "
            "challenge, a passkey the user does not have, another origin or relying party id, a counter that went "
            "back): ask for new options. Each challenge takes one credential. 429 as `login`. "
            f"{NOT_CONFIGURED}"
        ),
        request=PasskeyLoginInput,
        responses={200: LoginOutput},
        errors=(400, InvalidPasskey, AccountDisabled, EmailNotVerified, PasskeysNotConfigured),
        tags=[ACCOUNTS],
    )
)
class PasskeyLoginApi(ClientApi):
    action_name = "login_passkey"

    def post(self, request, client_id):
        data = self.validated(PasskeyLoginInput)
        self.limit("login_ip", self.meta.end_user_ip_bucket)
        attempt = passkey_login.passkey_login_open(client=self.client, request_meta=self.meta, **data)
        self.limit("login_email", attempt.user.email)
        result = passkey_login.passkey_login_finish(client=self.client, attempt=attempt, request_meta=self.meta)
        if isinstance(result, LoginPending):
            raise result.refusal
        if isinstance(result, LoginContinues):
            return Response(LoginResponse(result.answer).data)
        return Response(LoginOutput({"user_id": result.user.user_id, **asdict(result.tokens)}).data)


@extend_schema_view(
    post=client_operation(
        summary="Options to prove a passkey as a login's second factor",
        description=(
            "After `login` answered `mfa_required` with `passkey` among its `methods`, send its `mfa_token`: answers the "
            "options of `navigator.credentials.get()` for the user's passkeys (WebAuthn JSON). Then send "
            "`{\"mfa_token\", \"passkey_credential\": credential.toJSON()}` to `login/mfa`. The challenge is single-use and "
            "lives 5 minutes. 401 `invalid_token` for a dead `mfa_token`; 409 `mfa_conflict` when the user has no passkey. "
            f"{NOT_CONFIGURED}"
        ),
        request=MfaTokenInput,
        responses={200: RequestOptionsOutput},
        errors=(400, InvalidToken, MfaConflict, PasskeysNotConfigured),
        tags=[ACCOUNTS],
    )
)
class LoginMfaPasskeyOptionsApi(ClientApi):
    action_name = "login_mfa_passkey_options"

    def post(self, request, client_id):
        data = self.validated(MfaTokenInput)
        self.limit("mfa_ip", self.meta.end_user_ip_bucket)
        # Counted per address only: asking for options proves nothing (login/mfa counts the proof per user).
        challenge = mfa_login.mfa_challenge_open(client=self.client, mfa_token=data["mfa_token"], purpose=MfaPurpose.VERIFY, request_meta=self.meta)
        options = passkey_login.passkey_mfa_options(client=self.client, challenge=challenge, request_meta=self.meta)
        return Response(RequestOptionsOutput(options).data)
