"""Bodies of the passkey calls (users/<id>/passkeys..., login/passkey..., login/mfa/passkey/options).

Options are answered as the WebAuthn JSON a browser's `PublicKeyCredential.parseCreationOptionsFromJSON`
/ `parseRequestOptionsFromJSON` take (binary values base64url); credentials are taken as the JSON
`PublicKeyCredential.toJSON()` gives.
"""

import uuid

from rest_framework import serializers

from accounts.passkeys import MAX_NAME_LENGTH
from accounts.serializers import EmailInputField
from core.fields import ParsedJSONField, StrictCharField
from core.serializers import StrictSerializer

CREDENTIAL_HELP = (
    "The credential the browser's `navigator.credentials.{verb}()` resolved to, as JSON: `credential.toJSON()` "
    "(`id`, `rawId`, `type`, `response` with base64url values)."
)


class CredentialField(ParsedJSONField):
    """A WebAuthn credential as JSON: an object (its members are checked by the ceremony, not here)."""

    def __init__(self, *, verb: str, **kwargs):
        kwargs.setdefault("help_text", CREDENTIAL_HELP.format(verb=verb))
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError("Must be a JSON object: the browser's credential.toJSON().")
        return data


class CreationOptionsOutput(serializers.Serializer):
    """`PublicKeyCredentialCreationOptions` as JSON: give it to `PublicKeyCredential.parseCreationOptionsFromJSON()`,
    then to `navigator.credentials.create({publicKey})`."""

    rp = serializers.JSONField(help_text="`{id, name}`: id is the client's `passkey_rp_id`, name its client name.")
    user = serializers.JSONField(help_text="`{id, name, displayName}`: id (the user handle) is the user_id's 16 bytes, base64url.")
    challenge = serializers.CharField(help_text="base64url; single-use, valid 5 minutes.")
    pubKeyCredParams = serializers.JSONField()  # noqa: N815 (WebAuthn's own names)
    timeout = serializers.IntegerField()
    excludeCredentials = serializers.JSONField(help_text="The user's passkeys: an authenticator holding one makes no second.")  # noqa: N815
    authenticatorSelection = serializers.JSONField(help_text="`residentKey` and `userVerification` preferred.")  # noqa: N815
    attestation = serializers.CharField(help_text="`none`: no attestation is asked for.")


class RequestOptionsOutput(serializers.Serializer):
    """`PublicKeyCredentialRequestOptions` as JSON: give it to `PublicKeyCredential.parseRequestOptionsFromJSON()`,
    then to `navigator.credentials.get({publicKey})`."""

    challenge = serializers.CharField(help_text="base64url; single-use, valid 5 minutes.")
    timeout = serializers.IntegerField()
    rpId = serializers.CharField(help_text="The client's `passkey_rp_id`.")  # noqa: N815
    allowCredentials = serializers.JSONField(  # noqa: N815
        help_text="The passkeys that may answer (`[]`: any discoverable passkey of this relying party)."
    )
    userVerification = serializers.CharField(help_text="`preferred`.")  # noqa: N815


class PasskeyRegisterInput(StrictSerializer):
    credential = CredentialField(verb="create")
    name = StrictCharField(
        required=False, max_length=MAX_NAME_LENGTH, help_text="What the user calls it (\"MacBook\", \"YubiKey\"); default `Passkey`."
    )


class PasskeyRegisteredOutput(serializers.Serializer):
    passkey_id = serializers.UUIDField()
    name = serializers.CharField()


class PasskeyOutput(PasskeyRegisteredOutput):
    """A passkey as the API shows it: never its key or credential id."""

    created_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True, help_text="The last login it proved; null if none yet.")


class PasskeyListOutput(serializers.Serializer):
    passkeys = PasskeyOutput(many=True)


class PasskeyLoginOptionsInput(StrictSerializer):
    email = EmailInputField(
        required=False,
        help_text="The user's email, when the user typed it: the options then list that user's passkeys. Left out: any "
        "discoverable passkey (the browser offers the user's).",
    )


class PasskeyLoginOptionsOutput(serializers.Serializer):
    challenge_id = serializers.UUIDField(help_text="Send it back to `login/passkey` with the credential.")
    options = RequestOptionsOutput()


class PasskeyLoginInput(StrictSerializer):
    challenge_id = StrictCharField(max_length=36, help_text="The `challenge_id` of `login/passkey/options`.")
    credential = CredentialField(verb="get")

    def validate_challenge_id(self, value: str) -> uuid.UUID:
        # Text only (StrictCharField): DRF's UUIDField would read a number as a UUID's integer.
        try:
            return uuid.UUID(value)
        except ValueError:
            raise serializers.ValidationError("Must be the challenge_id that login/passkey/options answered.") from None
