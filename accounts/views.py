"""Per-client account endpoints: thin views over the flows (accounts.flows); each answer is rendered by
the output serializer its OpenAPI description names, so the schema is what is sent."""

from dataclasses import asdict

from django.conf import settings
from django.http import JsonResponse
from drf_spectacular.utils import OpenApiExample, extend_schema_view
from rest_framework.response import Response

from accounts import selectors
from accounts.errors import AccountDisabled, EmailNotVerified, EmailTaken, InvalidCredentials, InvalidToken, LoginLocked, TokenReused
from accounts.flows import login, signup, tokens, users
from accounts.mfa_serializers import LoginResponse
from accounts.serializers import (
    IntrospectionOutput,
    LoginInput,
    LoginOutput,
    RefreshInput,
    RefreshOutput,
    RevokeInput,
    SignupInput,
    SignupOutput,
    SignupResponse,
    UserListQuery,
    UserOutput,
    UserPageOutput,
    UserUpdateInput,
    UserUpdateOutput,
    VerifyInput,
)
from accounts.signing_keys import keyring
from accounts.validation import normalize_email
from clientapi.api import ClientApi
from clientapi.openapi import ACCOUNTS, TOKENS, USERS, client_operation
from clientapi.parsers import form_or_json
from core.errors import NotFound


@extend_schema_view(
    post=client_operation(
        summary="Sign a user up",
        description=(
            "Creates a user of this client with an email, a password and optional `custom_fields` "
            "(checked against the client's custom fields schema, if it has one). Call it from your "
            "backend when someone registers on your site.\n\n"
            "If the client does not require email verification, the answer carries a first "
            "`access_token` / `refresh_token` pair, so the user is logged in at once. If it does, the "
            "answer has `verification_required: true` and no tokens, and the user is mailed a "
            "verification link.\n\n"
            "If the client's `mfa_policy` is `required` (and verification is not), the answer has no tokens but "
            "`mfa_enrollment_required: true` and an `mfa_token`: enrol TOTP with it (`login/mfa/totp`, then "
            "`login/mfa/totp/confirm`, which answers the first pair).\n\n"
            "Errors: 409 `email_taken` when the email is already registered for this client; 400 "
            "`invalid_request` for a password the client's `password_policy` refuses (each rule broken in "
            "`fields.password`) or custom fields the schema refuses (`fields.custom_fields`); 429 when one end-user IP (`X-End-User-IP`) signs up too often."
        ),
        request=SignupInput,
        responses={201: SignupResponse},
        errors=(400, EmailTaken),
        tags=[ACCOUNTS],
        examples=[
            OpenApiExample(
                "signup",
                request_only=True,
                value={"email": "ada@example.com", "password": "correct horse battery", "custom_fields": {"plan": "pro"}},
            )
        ],
    )
)
class SignupApi(ClientApi):
    action_name = "signup"

    def post(self, request, client_id):
        data = self.validated(SignupInput)
        self.limit("signup_ip", self.meta.end_user_ip_bucket)
        if self.client.require_email_verification:
            self.limit_mail()
        result = signup.user_signup(client=self.client, request_meta=self.meta, **data)
        answer = {name: getattr(result.user, name) for name in SignupOutput().fields}
        if result.tokens:
            answer.update(asdict(result.tokens))
        elif result.mfa_token:  # the client requires a second factor: enrol it first (login/mfa/totp)
            answer.update(mfa_enrollment_required=True, mfa_token=result.mfa_token)
        else:
            answer["verification_required"] = True
        return Response(SignupResponse(answer).data, status=201)


@extend_schema_view(
    post=client_operation(
        summary="Log a user in",
        description=(
            "Exchanges a user's email and password for an access token and a refresh token. The "
            "access token is a short-lived RS256 JWT typed `at+jwt` that you can verify offline with the "
            "public keys at `/.well-known/jwks.json` (check its `typ` header as well as `iss`, `aud` and "
            "`exp`). The refresh token is an opaque string: keep it to get new pairs from `token/refresh`.\n\n"
            "Errors: 401 `invalid_credentials` for a wrong password or an unknown email (the same "
            "answer for both); only after the right password, 403 `account_disabled` (the user was "
            "deactivated) or 403 `email_not_verified` (the client requires verification). 429 "
            "`rate_limited` when one email or one end-user IP (`X-End-User-IP`) tries too often, or while "
            "the client's lockout (`throttle`) makes an email wait after failures in a row; 429 "
            "`login_locked` when its lockout (`lock`) refuses the email until a password reset. An email "
            "without an account gets the same answers, so none of them tells whether an account exists.\n\n"
            "A user with a second factor gets no tokens here but `{\"mfa_required\": true, \"mfa_token\", \"methods\"}`: "
            "send the token with a code to `login/mfa`. When the client's `mfa_policy` is `required` and the user has "
            "no factor, the answer is `{\"mfa_enrollment_required\": true, \"mfa_token\"}`: enrol with `login/mfa/totp`."
        ),
        request=LoginInput,
        responses={200: LoginResponse},
        errors=(400, InvalidCredentials, AccountDisabled, EmailNotVerified, LoginLocked),
        tags=[ACCOUNTS],
        examples=[
            OpenApiExample("login", request_only=True, value={"email": "ada@example.com", "password": "correct horse battery"})
        ],
    )
)
class LoginApi(ClientApi):
    action_name = "login"

    def post(self, request, client_id):
        data = self.validated(LoginInput)
        self.limit("login_ip", self.meta.end_user_ip_bucket)
        self.limit("login_email", normalize_email(data["email"]))
        result = login.user_login(client=self.client, request_meta=self.meta, **data)
        if isinstance(result, login.LoginPending):
            raise result.refusal  # a stage stopped it; the flow published the stop
        if isinstance(result, login.LoginContinues):
            return Response(LoginResponse(result.answer).data)  # a second factor is asked for: no tokens
        body = LoginOutput({"user_id": result.user.user_id, **asdict(result.tokens)}).data
        return Response(body)


@extend_schema_view(
    post=client_operation(
        summary="Spend a refresh token for a new pair",
        description=(
            "Answers a new access token and a new refresh token, with the `user_id` they are for, as login "
            "does. The refresh token you send is spent: "
            "store the new one and use it next time. Call it when the access token has expired (or "
            "shortly before).\n\n"
            "Presenting a spent refresh token again answers 401 `token_reused` and revokes every token "
            "of that login (the user must log in again): it means the token was copied. If your client "
            "sets a `refresh_reuse_interval` (seconds), a spent token presented again within it answers "
            "the same new refresh token (and a new access token of the same login) instead, so two tabs "
            "or a retried call that refresh one token at once get one answer; with the default 0, refresh "
            "one token from one place at a time. A malformed, expired, revoked or other client's token "
            "answers 401 `invalid_token`.\n\n"
            "Refresh tokens are opaque strings (`rt_…`). One issued as a JWT by an earlier release is "
            "accepted until it expires, and is rotated into an opaque one."
        ),
        request=RefreshInput,
        responses={200: RefreshOutput},
        errors=(400, InvalidToken, TokenReused),
        tags=[TOKENS],
    )
)
class TokenRefreshApi(ClientApi):
    action_name = "token_refresh"

    def post(self, request, client_id):
        data = self.validated(RefreshInput)
        refreshed = tokens.token_refresh(client=self.client, request_meta=self.meta, **data)
        return Response(RefreshOutput({"user_id": refreshed.user_id, **asdict(refreshed.tokens)}).data)


@extend_schema_view(
    post=client_operation(
        summary="Introspect an access token (RFC 7662)",
        description=(
            "Tells whether an access token is live for this client and, if so, what it says and whose it is: "
            '`{"active": true, "sub", "aud", "iss", "exp", "iat", "token_type": "Bearer", "client_id", '
            '"user_id", "email", "email_verified", "custom_fields"}` (the user fields as they are now, not as '
            'the token was minted). Anything else (expired, malformed, another client\'s, a refresh token, a '
            'deleted or disabled user, a login that was logged out or revoked) is exactly `{"active": false}` '
            "with status 200. `token_type_hint` (`access_token` or `refresh_token`) is optional and changes "
            "nothing: only access tokens are introspected.\n\n"
            "The body is JSON or, as RFC 7662 sends it, `application/x-www-form-urlencoded`. "
            "Call it when you cannot verify JWTs yourself, or when a logout must count before the token's "
            "`exp`; verifying offline with the keys of your issuer's discovery document saves the round trip. "
            "Read-only: it changes nothing and leaves an audit record only when the call itself is refused "
            "(bad key, bad body, rate limit)."
        ),
        request=VerifyInput,
        responses={200: IntrospectionOutput},
        errors=(400,),
        tags=[TOKENS],
        examples=[OpenApiExample("inactive", response_only=True, value={"active": False})],
    )
)
class TokenVerifyApi(ClientApi):
    action_name = "token_verify"
    parser_classes = form_or_json()

    def post(self, request, client_id):
        data = self.validated(VerifyInput)
        introspection = selectors.access_token_introspect(client=self.client, token=data["token"])
        answer = {"active": False} if introspection is None else {"active": True, "token_type": "Bearer", **introspection}
        return Response(IntrospectionOutput(answer).data)


@extend_schema_view(
    post=client_operation(
        summary="Revoke a token (RFC 7009)",
        description=(
            "Ends the login a token belongs to. A refresh token: it, and every token refreshed from the same "
            "login, stop working. An access token: the login it was issued for ends the same way (its refresh "
            "tokens too). Either way `token/verify` reports that login's access tokens inactive at once; "
            "verified offline they stay valid until they expire (minutes), so drop them on your side too. "
            "The user's other logins stay.\n\n"
            "Answers 200 with an empty body whatever the token: one that is unknown, malformed, expired, "
            "already revoked or another client's changes nothing and gets the same answer, so it is safe "
            "to retry. `token_type_hint` (`access_token` or `refresh_token`) is optional; each token is "
            "recognised by its form. The body is JSON or, as RFC 7009 sends it, "
            "`application/x-www-form-urlencoded`. Every call leaves one `token_revoke` audit record: "
            "success when a token of this client was found, failed (`invalid_token`) when none was."
        ),
        request=RevokeInput,
        responses={200: None},
        errors=(400,),
        tags=[TOKENS],
        examples=[OpenApiExample("revoke", request_only=True, value={"token": "rt_…", "token_type_hint": "refresh_token"})],
    )
)
class TokenRevokeApi(ClientApi):
    action_name = "token_revoke"
    parser_classes = form_or_json()

    def post(self, request, client_id):
        data = self.validated(RevokeInput)
        tokens.token_revoke(client=self.client, request_meta=self.meta, **data)
        return Response(status=200)


@extend_schema_view(
    post=client_operation(
        summary="Revoke a refresh token's family (idempotent)",
        description=(
            "Logs the user out of one login: the refresh token you send, and every token refreshed "
            "from the same login, stop working, and `token/verify` reports that login's access tokens "
            "inactive at once. Verified offline they stay valid until they expire (minutes), so drop "
            "them on your side too.\n\n"
            "Answers 204 also when the token was already spent or revoked, so it is safe to retry. "
            "A malformed or other client's token answers 401 `invalid_token`."
        ),
        request=RefreshInput,
        responses={204: None},
        errors=(400, InvalidToken),
        tags=[TOKENS],
    )
)
class LogoutApi(ClientApi):
    action_name = "logout"

    def post(self, request, client_id):
        data = self.validated(RefreshInput)
        tokens.token_logout(client=self.client, request_meta=self.meta, **data)
        return Response(status=204)


def jwks_document(request):
    """GET /.well-known/jwks.json: every public key that signs, will sign (staged: published one
    max-age before it does), or may have signed a live token."""
    response = JsonResponse(keyring().jwks())
    response["Cache-Control"] = f"public, max-age={settings.JWKS_MAX_AGE_SECONDS}"
    return response


@extend_schema_view(
    get=client_operation(
        summary="List users",
        operation_id="v1_users_list",
        description=(
            "Pages through this client's users, oldest first. `email` finds one user by address "
            "(case-insensitive); `limit` is 1 to 200 (default 50). When `next` is not null, pass it "
            "as `cursor` to get the following page.\n\n"
            "Read-only: leaves an audit record only when the call is refused (bad key, invalid query, "
            "rate limit)."
        ),
        parameters=[UserListQuery],
        responses={200: UserPageOutput},
        errors=(400,),
        tags=[USERS],
    )
)
class UserListApi(ClientApi):
    action_name = "user_list"

    def get(self, request, client_id):
        query = UserListQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        email = params.get("email")
        page = selectors.user_list(
            client=self.client,
            email=normalize_email(email) if email else None,
            cursor=params.get("cursor"),
            limit=params["limit"],
        )
        return Response(UserPageOutput({"results": page.results, "next": page.next_cursor}).data)


class _UserApi(ClientApi):
    # Not a docstring (drf-spectacular would publish it): the base of the three operations on
    # one user, each its own class (core.routing.by_method mounts them on one path).

    def get_user(self, user_id):
        user = selectors.user_get(client=self.client, user_id=user_id)
        if user is None:
            raise NotFound("No such user.")
        return user


@extend_schema_view(
    get=client_operation(
        summary="Read a user",
        description=(
            "One user of this client: email, whether it is verified, whether the account is active, "
            "custom fields and timestamps. 404 `not_found` if this client has no such user. "
            "Read-only: leaves an audit record only when the call is refused."
        ),
        responses={200: UserOutput},
        tags=[USERS],
    ),
)
class UserGetApi(_UserApi):
    action_name = "user_get"

    def get(self, request, client_id, user_id):
        return Response(UserOutput(self.get_user(user_id)).data)


@extend_schema_view(
    patch=client_operation(
        summary="Update custom_fields, is_active, email_verified or email",
        description=(
            "Replaces the user's `custom_fields` (checked against the client's schema), sets "
            "`is_active`, and/or marks the email verified with `email_verified: true` (when you have "
            "checked the address yourself; `false` is refused). Deactivating a user revokes all their refresh tokens, and they can no longer "
            "log in (403 `account_disabled`) until you set `is_active` back to true. Answers the "
            "updated user; 404 `not_found` if this client has no such user. Any other key (read-only "
            "or unknown) is a 400 `invalid_request` naming it in `fields`, and nothing changes.\n\n"
            "`email` changes the address. If the client requires verification, the change is pending "
            "(`email_change_pending: true`, the user keeps the old address) until the link mailed to the "
            "new address is followed (its token also works with `email/verify`); otherwise it applies at "
            "once, unverified. Send `email_verified: true` with it to vouch for the new address: it then "
            "applies at once, verified. Either way the old address is mailed a notice once the change is "
            "made, and tokens and sessions are left alone. 409 `email_taken` if another user of this "
            "client has the address (checked again when the change is made); a call with `email` counts "
            "in the client's mail quota (`mail_client`, 429 over it)."
        ),
        request=UserUpdateInput,
        responses={200: UserUpdateOutput},
        errors=(400, EmailTaken),
        tags=[USERS],
    ),
)
class UserUpdateApi(_UserApi):
    action_name = "user_update"

    def patch(self, request, client_id, user_id):
        data = self.validated(UserUpdateInput)
        if "email" in data:
            self.limit_mail()  # it may mail the new address and the old one
        user = users.user_update(client=self.client, user=self.get_user(user_id), request_meta=self.meta, **data)
        # Rendered once, from the user: rendering UserOutput's answer again would summarise `mfa` twice.
        answer = UserUpdateOutput(user).data
        if "email" in data and normalize_email(data["email"]) != user.email:
            answer["email_change_pending"] = True  # the user still has the old address
        return Response(answer)


@extend_schema_view(
    delete=client_operation(
        summary="Delete a user and revoke their tokens",
        description=(
            "Deletes the user for good and revokes all their refresh tokens; the email can sign up "
            "again afterwards. Access tokens already issued stay valid until they expire, but "
            "`token/verify` reports them inactive at once. 404 `not_found` if this client has no such user."
        ),
        responses={204: None},
        tags=[USERS],
    ),
)
class UserDeleteApi(_UserApi):
    action_name = "user_delete"

    def delete(self, request, client_id, user_id):
        users.user_delete(client=self.client, user=self.get_user(user_id), request_meta=self.meta)
        return Response(status=204)


# --- email verification and password reset ----------------------------------------------
