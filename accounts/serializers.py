from drf_spectacular.utils import extend_schema_field
from email_validator import EmailNotValidError
from rest_framework import serializers

from accounts.mfa_factors import mfa_summary
from accounts.validation import MAX_PASSWORD_LENGTH, canonical_email
from core.fields import ParsedJSONField, StrictBooleanField, StrictCharField
from core.serializers import FlatSerializer, QuerySerializer, StrictSerializer

MAX_TOKEN_LENGTH = 8192  # access tokens (verify) and the JWT refresh tokens of earlier releases
ACCESS_TOKEN_HELP = (
    "An RS256 JWT typed `at+jwt` (RFC 9068), valid for `expires_in` seconds: verify it offline with the "
    "public keys at `/.well-known/jwks.json` (checking `typ`, `iss`, `aud` and `exp`) or with `token/verify`."
)
REFRESH_TOKEN_HELP = (
    "An opaque string (`rt_…`), not a JWT: keep it secret on your backend and send it only to "
    "`token/refresh` (it is spent there) and `logout`."
)


class EmailInputField(StrictCharField):
    """An address email-validator accepts (syntax, IDNA, no reserved domains such as .invalid)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 254)
        super().__init__(**kwargs)
        self.validators.append(_deliverable_address)


def _deliverable_address(value: str) -> None:
    try:
        canonical_email(value)
    except EmailNotValidError as error:
        raise serializers.ValidationError(f"Enter a valid email address: {error}") from None


class PasswordInputField(StrictCharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", MAX_PASSWORD_LENGTH)
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)


class TokenInputField(StrictCharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", MAX_TOKEN_LENGTH)
        super().__init__(**kwargs)


class SignupInput(serializers.Serializer):
    email = EmailInputField()
    password = PasswordInputField()
    custom_fields = ParsedJSONField(required=False, default=dict)


# The token paths' serializers are flat: FlatSerializer spares them DRF's per-call deep copies.
class LoginInput(FlatSerializer):
    email = EmailInputField()
    password = PasswordInputField()


class RefreshInput(FlatSerializer):
    refresh_token = TokenInputField(
        help_text="The refresh token of the last sign-up, login or refresh. Refresh tokens issued as JWTs by "
        "earlier releases are accepted until they expire."
    )


# RFC 7009 and RFC 7662 register these two. Only a hint: every token is recognised by its form, so the
# answer is the same with any of them or none; another value is refused as a client's bug.
TOKEN_TYPE_HINTS = ("access_token", "refresh_token")
TOKEN_TYPE_HINT_HELP = "Optional: `access_token` or `refresh_token`. The token is recognised by its form either way."


class VerifyInput(FlatSerializer):
    token = TokenInputField(help_text="The access token to introspect.")
    token_type_hint = serializers.ChoiceField(choices=TOKEN_TYPE_HINTS, required=False, help_text=TOKEN_TYPE_HINT_HELP)


class RevokeInput(FlatSerializer):
    token = TokenInputField(help_text="A refresh token (`rt_…`) or an access token of this client.")
    token_type_hint = serializers.ChoiceField(choices=TOKEN_TYPE_HINTS, required=False, help_text=TOKEN_TYPE_HINT_HELP)


class TokenPairOutput(FlatSerializer):
    access_token = serializers.CharField(help_text=ACCESS_TOKEN_HELP)
    refresh_token = serializers.CharField(help_text=REFRESH_TOKEN_HELP)
    token_type = serializers.CharField()
    expires_in = serializers.IntegerField()


class LoginOutput(TokenPairOutput):
    user_id = serializers.UUIDField()


class RefreshOutput(LoginOutput):
    """The new pair of a refresh, and whose it is: the same fields as login's answer."""


class MfaSummaryOutput(serializers.Serializer):
    totp = serializers.BooleanField(help_text="TOTP is on (a pending enrolment does not count).")
    passkeys = serializers.IntegerField(help_text="Passkeys registered.")
    recovery_codes_left = serializers.IntegerField(help_text="Recovery codes not used yet.")


@extend_schema_field(MfaSummaryOutput)
class MfaSummaryField(serializers.Field):
    """A user's factors as the API shows them: never a secret."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return mfa_summary(value or {})


class UserOutput(serializers.Serializer):
    user_id = serializers.UUIDField()
    email = serializers.EmailField()
    email_verified = serializers.BooleanField()
    is_active = serializers.BooleanField()
    custom_fields = serializers.JSONField()
    mfa = MfaSummaryField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class UserUpdateOutput(UserOutput):
    email_change_pending = serializers.BooleanField(
        required=False, help_text="Present and true when `email` was sent and the change waits for the mailed link."
    )


class SignupOutput(serializers.Serializer):
    user_id = serializers.UUIDField()
    email = serializers.EmailField()
    email_verified = serializers.BooleanField()
    custom_fields = serializers.JSONField()


class IntrospectionOutput(FlatSerializer):
    """RFC 7662's answer: `active`, and for an active token what it says and whose it is; inactive is `active` alone."""

    active = serializers.BooleanField()
    sub = serializers.CharField(required=False, help_text="The user's id, as in the token.")
    aud = serializers.CharField(required=False, help_text="The audience: this client's id.")
    iss = serializers.CharField(required=False, help_text="The issuer the token names (the client's or the service's).")
    exp = serializers.IntegerField(required=False)
    iat = serializers.IntegerField(required=False)
    token_type = serializers.CharField(required=False, help_text="`Bearer`, as RFC 6749 §7.1 names the type.")
    client_id = serializers.CharField(required=False, help_text="The client the token was issued to: this one.")
    user_id = serializers.UUIDField(required=False)
    email = serializers.EmailField(required=False)
    email_verified = serializers.BooleanField(required=False)
    custom_fields = serializers.JSONField(required=False)


@extend_schema_field({"type": "boolean", "enum": [True]})
class TrueOnlyField(StrictBooleanField):
    """A flag that can only be set: `true`; `false` is refused (and the schema says so)."""

    def to_internal_value(self, data):
        if super().to_internal_value(data) is not True:
            raise serializers.ValidationError("Only true: this flag can be set, not cleared.")
        return True


class UserUpdateInput(StrictSerializer):
    """What a client may change on a user; any other key is refused (400 naming it)."""

    read_only_names = frozenset({"user_id", "created_at", "updated_at", "password", "password_hash", "token_generation", "mfa"})

    custom_fields = ParsedJSONField(required=False)
    is_active = StrictBooleanField(required=False)
    email_verified = TrueOnlyField(
        required=False,
        help_text="Only `true`: marks the email verified (you vouch for the address; with `email`, for the new "
        "one, which then applies at once). `false` is refused.",
    )
    email = EmailInputField(
        required=False,
        help_text="A new address. When the client requires verification it is pending until the link mailed "
        "to it is followed; otherwise it applies at once (unverified). The old address is notified either way.",
    )


class UserListQuery(QuerySerializer):
    email = StrictCharField(required=False, max_length=254)
    cursor = StrictCharField(required=False, max_length=512)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=200, default=50)


# --- email verification and password reset ---------------------------------------------


class EmailTokenInput(serializers.Serializer):
    token = TokenInputField()


class EmailOnlyInput(serializers.Serializer):
    email = EmailInputField()


class PasswordResetInput(serializers.Serializer):
    token = TokenInputField()
    new_password = PasswordInputField()


class PasswordChangeInput(StrictSerializer):
    """The user's current password and the new one; any other key is refused (400 naming it)."""

    current_password = PasswordInputField()
    new_password = PasswordInputField()


class SignupResponse(SignupOutput):
    """Sign-up answer: tokens, or `verification_required` when the client requires email verification, or
    `mfa_enrollment_required` and an `mfa_token` when it requires a second factor."""

    access_token = serializers.CharField(required=False, help_text=ACCESS_TOKEN_HELP)
    refresh_token = serializers.CharField(required=False, help_text=REFRESH_TOKEN_HELP)
    token_type = serializers.CharField(required=False)
    expires_in = serializers.IntegerField(required=False)
    verification_required = serializers.BooleanField(required=False)
    mfa_enrollment_required = serializers.BooleanField(required=False)
    mfa_token = serializers.CharField(required=False, help_text="Enrols TOTP (login/mfa/totp): single-use, valid 5 minutes.")


class UserPageOutput(serializers.Serializer):
    results = UserOutput(many=True)
    next = serializers.CharField(allow_null=True, help_text="Cursor of the next page, or null on the last one.")


class EmailVerifiedOutput(serializers.Serializer):
    email_verified = serializers.BooleanField()
    user_id = serializers.UUIDField()


class PasswordResetOutput(serializers.Serializer):
    password_reset = serializers.BooleanField()
    user_id = serializers.UUIDField()


class AcceptedOutput(serializers.Serializer):
    detail = serializers.CharField()
