"""Bodies of the second-factor calls (users/<id>/mfa/..., login/mfa...) and the login answer that may ask for one."""

from rest_framework import serializers

from accounts.serializers import ACCESS_TOKEN_HELP, REFRESH_TOKEN_HELP
from core.fields import ParsedJSONField, StrictCharField
from core.serializers import StrictSerializer

MAX_MFA_TOKEN_LENGTH = 128
MAX_CODE_LENGTH = 64
MFA_TOKEN_HELP = (
    "The `mfa_token` of the login answer: single-use, valid 5 minutes and for 5 codes, for this client and user only."
)
CODE_HELP = "A 6-digit code of the user's authenticator app, or one of their recovery codes (`xxxxx-xxxxx`)."
RECOVERY_CODES_HELP = "Ten single-use codes: show them to the user once; they are stored only as digests."


class MfaTokenField(StrictCharField):
    # Taken as sent, never trimmed: a token of spaces is a wrong token (401), not a blank field (400).
    def __init__(self, **kwargs):
        super().__init__(max_length=MAX_MFA_TOKEN_LENGTH, trim_whitespace=False, help_text=MFA_TOKEN_HELP, **kwargs)


class CodeField(StrictCharField):
    # Spaces inside a recovery code are allowed (they are dropped when it is read); a code of spaces is wrong (401).
    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", CODE_HELP)
        super().__init__(max_length=MAX_CODE_LENGTH, trim_whitespace=False, **kwargs)


class CodeInput(StrictSerializer):
    code = CodeField(help_text="A 6-digit code of the new secret, from the user's app.")


class TotpEnrolOutput(serializers.Serializer):
    secret = serializers.CharField(help_text="The base32 secret, for typing into an app by hand. Shown once.")
    otpauth_uri = serializers.CharField(help_text="An `otpauth://totp/...` URI to show as a QR code; its issuer is the client's name.")


class RecoveryCodesOutput(serializers.Serializer):
    recovery_codes = serializers.ListField(child=serializers.CharField(), help_text=RECOVERY_CODES_HELP)


class LoginMfaInput(StrictSerializer):
    """`mfa_token` and one proof: a `code`, or a `passkey_credential`."""

    mfa_token = MfaTokenField()
    code = CodeField(required=False)
    passkey_credential = ParsedJSONField(
        required=False,
        help_text="Instead of `code`: the browser's `credential.toJSON()` for the options of `login/mfa/passkey/options`.",
    )

    def validate(self, attrs):
        if ("code" in attrs) == ("passkey_credential" in attrs):
            raise serializers.ValidationError({"code": ["Send either code or passkey_credential."]})
        if "passkey_credential" in attrs and not isinstance(attrs["passkey_credential"], dict):
            raise serializers.ValidationError({"passkey_credential": ["Must be a JSON object: the browser's credential.toJSON()."]})
        return attrs


class MfaTokenInput(StrictSerializer):
    mfa_token = MfaTokenField()


class LoginTotpConfirmInput(StrictSerializer):
    mfa_token = MfaTokenField()
    code = CodeField(help_text="A 6-digit code of the new secret, from the user's app.")


class LoginTotpConfirmOutput(serializers.Serializer):
    """The login's token pair, and the recovery codes of the factor it enrolled."""

    user_id = serializers.UUIDField()
    access_token = serializers.CharField(help_text=ACCESS_TOKEN_HELP)
    refresh_token = serializers.CharField(help_text=REFRESH_TOKEN_HELP)
    token_type = serializers.CharField()
    expires_in = serializers.IntegerField()
    recovery_codes = serializers.ListField(child=serializers.CharField(), help_text=RECOVERY_CODES_HELP)


class LoginResponse(serializers.Serializer):
    """Login answer: a token pair, or (no tokens) `mfa_required` or `mfa_enrollment_required` with an `mfa_token`."""

    user_id = serializers.UUIDField(required=False)
    access_token = serializers.CharField(required=False, help_text=ACCESS_TOKEN_HELP)
    refresh_token = serializers.CharField(required=False, help_text=REFRESH_TOKEN_HELP)
    token_type = serializers.CharField(required=False)
    expires_in = serializers.IntegerField(required=False)
    mfa_required = serializers.BooleanField(required=False, help_text="The user has a second factor: send a code to `login/mfa`.")
    mfa_enrollment_required = serializers.BooleanField(
        required=False, help_text="The client requires a second factor and the user has none: enrol TOTP with `login/mfa/totp`."
    )
    mfa_token = serializers.CharField(required=False, help_text=MFA_TOKEN_HELP)
    methods = serializers.ListField(
        child=serializers.CharField(), required=False,
        help_text="What `login/mfa` accepts for this user: `totp`, `recovery_code`, `passkey`.",
    )
