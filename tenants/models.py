"""Central tenant tables: `clients` and `access_keys`, plus the per-client user schema.

Primary keys are explicit UUIDs so that one set of migrations serves SQLite, PostgreSQL
and MongoDB alike.
"""

import json
import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from tenants.policies import lockout_default, password_policy_default, validate_lockout, validate_password_policy


class MfaPolicy(models.TextChoices):
    OPTIONAL = "optional", "optional: users may enrol a second factor"
    REQUIRED = "required", "required: users enrol a second factor at their next login"


class Industry(models.TextChoices):
    AI_ML = "AI/ML", "AI/ML"
    E_COMMERCE = "E-commerce", "E-commerce"
    SAAS = "SaaS", "SaaS"
    FINTECH = "Fintech", "Fintech"
    HEALTHCARE = "Healthcare", "Healthcare"
    EDUCATION = "Education", "Education"
    GAMING = "Gaming", "Gaming"
    MEDIA = "Media", "Media"
    OTHER = "Other", "Other"


def now_in_milliseconds():
    """Now, to the millisecond: what MongoDB keeps, so an answer built from the unsaved object
    shows the same `created_at` as every later read, on every store."""
    now = timezone.now()
    return now.replace(microsecond=now.microsecond - now.microsecond % 1000)


class OrderedJSONField(models.JSONField):
    """A JSONField that gives objects back with their keys in the order they were written.

    PostgreSQL's jsonb sorts object keys; a client's schema is shown back to it (its docs page)
    as it wrote it, so on PostgreSQL this is a `json` column, sent and read as JSON text.
    """

    def db_type(self, connection):
        return "json" if connection.vendor == "postgresql" else super().db_type(connection)

    def get_db_prep_value(self, value, connection, prepared=False):
        if connection.vendor == "postgresql" and value is not None and not hasattr(value, "resolve_expression"):
            from psycopg.types.json import Json  # PostgreSQL only; jsonb's adapter would sort the keys

            return Json(value, dumps=lambda data: json.dumps(data, cls=self.encoder))
        return super().get_db_prep_value(value, connection, prepared)

    def from_db_value(self, value, expression, connection):
        if value is not None and not isinstance(value, str):  # psycopg already decoded a json column
            return value
        return super().from_db_value(value, expression, connection)


class TokenIssuer(models.TextChoices):
    """Which `iss` a client's access tokens carry (accounts/tokens.py turns the choice into a URL)."""

    CLIENT = "client", "This client's own: AUTHSVC_ISSUER/api/v1/{client_id}"
    SERVICE = "service", "The service's: AUTHSVC_ISSUER, shared by every client"


# The longest refresh reuse interval a client may choose (seconds): long enough for tabs and retries
# that raced one refresh, short enough that a replayed token is still a replay (docs/api.md §5).
MAX_REFRESH_REUSE_INTERVAL = 300


def default_users_database() -> str:
    """Where a new client's users table goes: today the one tenant alias, AUTHSVC_TENANT_DATABASE."""
    return settings.AUTHSVC_TENANT_DATABASE


class Client(models.Model):
    # A client's settings, declared once: the admin's forms and the API's serializers take their
    # fields from here, and docs/api.md is held to them (tests/tenants/test_client_settings.py); the
    # access-key snapshot carries every field anyway. The client chooses CLIENT_SETTINGS when it
    # registers, reads back (GET /api/v1/{client_id}/) and changes (PATCH, tenants.services.
    # client_settings_update, which holds each to its rule in tenants/client_settings.py and to its
    # model field's own checks); STAFF_SETTINGS are set in the admin only. Other fields (identity,
    # state, where the users live) are shown read-only, or not at all.
    CLIENT_SETTINGS = (
        "client_name",
        "industry",
        "require_email_verification",
        "custom_fields_schema",
        "refresh_reuse_interval",
        "token_issuer",
        "mfa_policy",
        "verify_email_url",
        "reset_password_url",
        "mail_sender_name",
        "mail_reply_to",
        "mail_templates",
        "password_policy",
        "lockout",
        "passkey_rp_id",
        "passkey_origins",
    )
    STAFF_SETTINGS = ("rate_limits",)
    SETTINGS = CLIENT_SETTINGS + STAFF_SETTINGS
    # Write-only settings, kept only sealed (crypto.sealed): setting name → the field holding the
    # sealed value. The client (PATCH) and staff set them (tenants.smtp says what is accepted); they
    # are never shown back, and audit records name them without their value.
    SEALED_SETTINGS = {"smtp_url": "smtp_url_sealed"}

    client_id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client_name = models.CharField(max_length=200)
    industry = models.CharField(max_length=32, choices=Industry.choices)
    is_active = models.BooleanField(default=True)
    require_email_verification = models.BooleanField(default=False)
    custom_fields_schema = OrderedJSONField(null=True, blank=True)
    # The sign-up example of the docs page, worked out whenever the schema is saved
    # (tenants/schema_example.py), so that the public page runs none of the client's schema.
    custom_fields_example = OrderedJSONField(null=True, blank=True, editable=False)
    # Seconds after a refresh during which the spent token, presented again, answers the same new
    # refresh token instead of counting as reuse (accounts/flows/tokens.py): two tabs refreshing at
    # once. 0 is strict rotation. Bounded, because within it a thief's replay is not detected.
    refresh_reuse_interval = models.PositiveIntegerField(
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(MAX_REFRESH_REUSE_INTERVAL)],
        help_text=(
            f"Seconds (0 to {MAX_REFRESH_REUSE_INTERVAL}) during which a refresh token presented again right after it was "
            "spent answers the same new refresh token instead of revoking the login as reuse. 0: strict rotation."
        ),
    )
    # New clients get an issuer of their own, so that `iss` alone pins the tenant for verifiers that
    # skip `aud`; clients registered before it existed keep the shared one their verifiers expect
    # (migration 0009), until they choose to switch (docs/api.md §5).
    token_issuer = models.CharField(
        max_length=16,
        choices=TokenIssuer.choices,
        default=TokenIssuer.CLIENT,
        help_text=(
            "The iss of its access tokens. Switching applies to tokens minted from then on; earlier ones stay valid "
            "here until they expire, but verifiers configured with the old issuer refuse the new tokens: have the "
            "client accept both issuers first."
        ),
    )
    # With `required`, a user without a second factor enrols one before any login issues tokens.
    mfa_policy = models.CharField(max_length=16, choices=MfaPolicy.choices, default=MfaPolicy.OPTIONAL)
    # Mail in the client's name (docs/api.md §9a): its own pages for the mailed links (the token is
    # added to their query), the display name of From and a Reply-To, and the subject and text of the
    # verification and reset mails. None: ours. Checked by tenants/client_settings.py.
    verify_email_url = models.CharField(
        "verify email URL",
        max_length=2000,
        null=True,
        blank=True,
        default=None,
        help_text="The client's own page for verification links (https): mails link to it with token=… added to its "
        "query, and its backend sends that token to email/verify. Empty: our page.",
    )
    reset_password_url = models.CharField(
        "reset password URL",
        max_length=2000,
        null=True,
        blank=True,
        default=None,
        help_text="The client's own page for password reset links (https): mails link to it with token=… added to "
        "its query, and its backend sends that token to password/reset. Empty: our page.",
    )
    mail_sender_name = models.CharField(
        max_length=100,
        null=True,
        blank=True,
        default=None,
        help_text="The display name of the mails' From (the address stays ours): plain text, as a client name. Empty: ours.",
    )
    mail_reply_to = models.CharField(
        "mail Reply-To", max_length=254, null=True, blank=True, default=None, help_text="The mails' Reply-To address. Empty: none."
    )
    mail_templates = models.JSONField(
        null=True,
        blank=True,
        default=None,
        help_text='The client\'s subject and text of the verification and reset mails, e.g. {"verify_email": {"subject": '
        '"Welcome to {client_name}", "text": "Confirm {email}: {link}"}, "reset_password": {"text": "…{link}…"}}. '
        "Placeholders: {link}, {client_name}, {email}, {expires_in}. Empty: ours.",
    )
    # What its users' new passwords must be, and what consecutive failed logins cost (tenants.policies,
    # docs/api.md §6a): stored with every key, the defaults being the service's rules before them.
    password_policy = models.JSONField(
        default=password_policy_default,
        validators=[validate_password_policy],
        help_text='Rules for new passwords: {"min_length": 8-64, "max_length": 64-1024, "min_strength": 0-4 (zxcvbn score; '
        '0: no estimate), "refuse_common": true/false}. Keys left out take their defaults.',
    )
    lockout = models.JSONField(
        default=lockout_default,
        validators=[validate_lockout],
        help_text='Consecutive failed logins of one email: {"mode": "off" | "throttle" | "lock", "max_failures": 1-100, '
        '"max_delay_seconds": 1-86400 (throttle), "forget_after_hours": 1-720}. Throttle: a wait after each failure past '
        "max_failures, doubling up to max_delay_seconds. Lock: none at all until a password reset or an unlock here.",
    )
    # The WebAuthn relying party of its users' passkeys (tenants/passkey_settings.py says what is accepted):
    # unset, the passkey calls answer 409 passkeys_not_configured.
    passkey_rp_id = models.CharField(
        max_length=253, null=True, blank=True,
        help_text="The domain passkeys are bound to (example.com), or localhost. Changing it strands every passkey made under the old one.",
    )
    passkey_origins = models.JSONField(
        null=True, blank=True,
        help_text='The page origins passkey ceremonies may come from, e.g. ["https://example.com"]. Unset: https:// and the rp id, alone.',
    )
    # Overrides of settings.AUTHSVC_RATE_LIMITS for this client, e.g. {"login_ip": "100/m"}.
    rate_limits = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=now_in_milliseconds, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    # The database alias holding this client's users table: tenants/routers.py routes its user model
    # by this record, so that clients can later be placed on several databases.
    users_database = models.CharField(max_length=64, default=default_users_database, editable=False)
    # The client's own SMTP server (tenants.smtp), sealed; "" when its mail goes through ours.
    smtp_url_sealed = models.TextField(blank=True, default="", editable=False)

    class Meta:
        db_table = "clients"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.client_name} ({self.client_id})"

    @classmethod
    def fields_in_order(cls, *names: str) -> tuple[str, ...]:
        """Those of `names` that are fields, in the order the model declares them: every page lists them alike."""
        wanted = set(names)
        return tuple(field.name for field in cls._meta.concrete_fields if field.name in wanted)


class AccessKey(models.Model):
    """One secret a client's backend authenticates with; several may be live during a rotation.

    Only `key_id` (public, to find the row) and an HMAC of the secret are stored.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="access_keys")
    key_id = models.CharField(max_length=32, unique=True)
    secret_hash = models.CharField(max_length=128)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "access_keys"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.key_id

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class UsersTableVersion(models.Model):
    """How far a client's users table has come through the steps of `tenants.users_table_steps`.

    Written after each step completes (tenants/evolution.py), so an interrupted run resumes at the
    next step; `progress` is where a batched step stopped, so it resumes there too.
    """

    client = models.OneToOneField(Client, on_delete=models.CASCADE, primary_key=True, related_name="+")
    version = models.PositiveIntegerField(default=0)
    progress = models.JSONField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "users_table_versions"

    def __str__(self) -> str:
        from tenants.user_models import users_table_name  # it imports this module

        return f"{users_table_name(self.client_id)} v{self.version}"


class AbstractTenantUser(models.Model):
    """The schema of every `users_<client_id hex>` collection (docs/api.md §1).

    Concrete classes are built per client by `tenants.user_models`, never declared here,
    so that the global app registry knows nothing of them.
    """

    is_tenant_user_model = True

    user_id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(max_length=254)
    password_hash = models.CharField(max_length=255)
    custom_fields = models.JSONField(default=dict, blank=True)
    email_verified = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    # Raised when earlier tokens must stop counting (password reset, deactivation, reactivation);
    # access tokens carry the value they were issued under as `gen`. Documents written before
    # the field existed have none: read as 0 (`current_token_generation`).
    token_generation = models.PositiveIntegerField(default=0)
    # The second factors a user enrolled (accounts/mfa_factors.py): sealed secrets and hashes only.
    mfa = models.JSONField(default=dict, blank=True)
    # Raised by every write of `mfa`, which is conditional on it: two processes spending the same
    # TOTP step or recovery code cannot both succeed (accounts/mfa_factors.py).
    mfa_revision = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
        ordering = ["created_at", "user_id"]

    def __str__(self) -> str:
        return self.email

    @property
    def current_token_generation(self) -> int:
        return self.token_generation or 0
