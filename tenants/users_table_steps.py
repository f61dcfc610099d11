"""Every client's users table, version by version (tenants/evolution.py applies these).

Append only, like migrations: a released step is never edited, because Django migrations apply
the steps up to their own version (`USERS_TABLE.up_to(n)`) and must find them as they were.
Each step carries its own field and index definitions, never a reference to the live model
(`tenants.models.AbstractTenantUser`), which a test keeps equal to the latest state.

To change the table: add a field (or index) to AbstractTenantUser, append the step that makes
it here, and add a migration that applies `USERS_TABLE.up_to(<the new number>)` to every client
(tenants/migrations/0007_users_tables_evolve.py shows how). `provision_tenants` applies pending
steps as well, and new clients get their table created at the latest version.
"""

import uuid

from django.db import models
from django.utils import timezone

from tenants.evolution import AddField, Step, Steps, TableState

# The table as the first release created it.
BASE = TableState(
    fields=(
        ("user_id", models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)),
        ("email", models.EmailField(max_length=254)),
        ("password_hash", models.CharField(max_length=255)),
        ("custom_fields", models.JSONField(default=dict, blank=True)),
        ("email_verified", models.BooleanField(default=False)),
        ("is_active", models.BooleanField(default=True)),
        ("created_at", models.DateTimeField(default=timezone.now, editable=False)),
        ("updated_at", models.DateTimeField(auto_now=True)),
    ),
    constraints=(models.UniqueConstraint(fields=["email"], name="{table}_email_uniq"),),
)

USERS_TABLE = Steps(
    BASE,
    (
        # Tokens of older generations are refused (docs/api.md §5).
        Step(1, AddField("token_generation", models.PositiveIntegerField(default=0))),
        # Where the second factors a user enrolled will be kept; empty for everyone until then.
        Step(2, AddField("mfa", models.JSONField(default=dict, blank=True))),
        # The counter every write of `mfa` is conditional on (one TOTP step, one recovery code, once).
        Step(3, AddField("mfa_revision", models.PositiveIntegerField(default=0))),
    ),
)
