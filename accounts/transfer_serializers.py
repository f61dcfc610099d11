"""What import and export send and answer, described for the OpenAPI schema. An import line is read by
accounts/import_records.py, not by a serializer: each line is refused on its own, with its number."""

from rest_framework import serializers

from core.serializers import StrictSerializer


class ImportLineInput(StrictSerializer):
    """One line of an import body (NDJSON: one such object a line); any other key makes the line invalid."""

    email = serializers.CharField(max_length=254, help_text="Canonicalised as at sign-up.")
    password_hash = serializers.CharField(
        required=False, max_length=255,
        help_text="bcrypt ($2a$, $2b$, $2y$), $argon2id$…, or Django's pbkdf2_sha256$…, argon2$…, bcrypt_sha256$…, bcrypt$…, scrypt$…",
    )
    password = serializers.CharField(required=False, max_length=1024, help_text="In clear, instead of password_hash.")
    email_verified = serializers.BooleanField(required=False, default=False)
    is_active = serializers.BooleanField(required=False, default=True)
    custom_fields = serializers.JSONField(required=False, help_text="Checked against the client's schema.")
    created_at = serializers.DateTimeField(required=False, help_text="ISO 8601; UTC when it names no time zone.")
    user_id = serializers.UUIDField(required=False, help_text="Kept as the user's id when no other user has it.")


class InvalidLineOutput(serializers.Serializer):
    line = serializers.IntegerField(help_text="1 for the body's first line.")
    reason = serializers.CharField()


class ImportReportOutput(serializers.Serializer):
    lines = serializers.IntegerField(help_text="Non-blank lines read.")
    created = serializers.IntegerField()
    skipped_duplicates = serializers.IntegerField(help_text="Already a user of this client, or earlier in the body.")
    invalid = serializers.IntegerField()
    duplicate_lines = serializers.ListField(child=serializers.IntegerField())
    invalid_lines = InvalidLineOutput(many=True)


class ExportLineOutput(serializers.Serializer):
    """One line of an export (NDJSON: one such object a line), in the form an import takes back."""

    user_id = serializers.UUIDField()
    email = serializers.EmailField()
    email_verified = serializers.BooleanField()
    is_active = serializers.BooleanField()
    custom_fields = serializers.JSONField()
    created_at = serializers.DateTimeField()
