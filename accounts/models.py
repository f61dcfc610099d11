"""Central tables of accounts: `tokens` (refresh tokens), `mfa_challenges` (logins waiting for a second
factor), `passkey_challenges` (WebAuthn ceremonies under way); and the kinds of mail it delivers.

`tokens` has one row per refresh token ever issued (docs/api.md §5). The token itself is never stored, only an HMAC of it;
`token_id` is the id an opaque token (`rt_<token_id>.<secret>`) carries, or the `jti` of a legacy JWT one.
A refresh spends its row (`replaced_by` and `spent_at` set) and adds the next one in the same family;
presenting a spent token revokes the whole family, unless it comes back within its client's
`refresh_reuse_interval` of `spent_at` (then it answers its successor again).
"""

from django.db import models
from django.utils import timezone

from tenants.models import Client


class RefreshToken(models.Model):
    token_id = models.UUIDField(primary_key=True, editable=False)
    client = models.ForeignKey(Client, on_delete=models.CASCADE, db_column="client_id", related_name="+")
    user_id = models.UUIDField(db_index=True)
    token_hash = models.CharField(max_length=128)
    family_id = models.UUIDField(db_index=True)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)
    replaced_by = models.UUIDField(null=True, blank=True)
    # When the refresh that spent it happened: the client's refresh reuse interval counts from here.
    # Rows spent before the column existed have none, and count as spent long ago.
    spent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "tokens"
        ordering = ["-created_at"]
        verbose_name = "refresh token"

    def __str__(self) -> str:
        return str(self.token_id)

    @property
    def is_spent(self) -> bool:
        return self.replaced_by is not None

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class MfaPurpose(models.TextChoices):
    VERIFY = "verify", "prove a second factor"
    ENROL = "enrol", "enrol a first factor (the client requires one)"


class MfaChallenge(models.Model):
    """A login waiting for its second factor: what an `mfa_token` (`mfa_<challenge_id>.<secret>`) names.

    Central, like `tokens`, so every process sees one state: spent once (`spent_at`), dead after
    MAX_ATTEMPTS codes (`attempts`, counted before each code is checked) or at `expires_at`. Only
    an HMAC of the token is stored. `token_generation` is the user's when the password was checked:
    a password reset or deactivation since then kills the challenge.
    """

    challenge_id = models.UUIDField(primary_key=True, editable=False)
    client = models.ForeignKey(Client, on_delete=models.CASCADE, db_column="client_id", related_name="+")
    user_id = models.UUIDField(db_index=True)
    token_hash = models.CharField(max_length=128)
    purpose = models.CharField(max_length=8, choices=MfaPurpose.choices)
    token_generation = models.PositiveIntegerField()
    attempts = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    spent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "mfa_challenges"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return str(self.challenge_id)


class PasskeyPurpose(models.TextChoices):
    REGISTER = "register", "register a passkey"
    LOGIN = "login", "log in with a passkey alone"
    MFA = "mfa", "prove a passkey as the second factor of a login"


class PasskeyChallenge(models.Model):
    """A WebAuthn ceremony under way: the challenge its options carried, for the one call that answers it.

    Central, like `mfa_challenges`, so every process sees one state. The challenge is random bytes
    that begin with `challenge_id`'s 16 bytes: a credential names its row by the challenge its
    authenticator signed (accounts/passkeys.py). Spent once (`spent_at`, a conditional update),
    dead at `expires_at`. `user_id` is whose passkey may answer it; None for a passwordless login's
    options without an email (any passkey of the client, named by its user handle) and for an email
    that has no user (`named_user`: then no passkey answers it).
    """

    challenge_id = models.UUIDField(primary_key=True, editable=False)
    client = models.ForeignKey(Client, on_delete=models.CASCADE, db_column="client_id", related_name="+")
    user_id = models.UUIDField(null=True, blank=True, db_index=True)
    named_user = models.BooleanField(default=False)
    purpose = models.CharField(max_length=8, choices=PasskeyPurpose.choices)
    challenge = models.CharField(max_length=96)  # base64url; a nonce, not a secret: the options show it
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    spent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "passkey_challenges"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return str(self.challenge_id)


class MailKind(models.TextChoices):
    # The mails accounts sends: topics of the delivery kind "mail" (accounts.outbox).
    VERIFY_EMAIL = "verify_email", "email verification"
    PASSWORD_RESET = "password_reset", "password reset"
    EMAIL_CHANGE = "email_change", "email change (to the new address)"
    EMAIL_CHANGED = "email_changed", "email changed notice (to the old address)"
