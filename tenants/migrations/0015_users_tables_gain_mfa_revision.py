"""Brings every client's users table to version 3 of `tenants.users_table_steps` (the `mfa_revision`
counter that every write of a user's second factors is conditional on), as 0007 did for version 2.

Killed midway, `migrate` (or `provision_tenants`) resumes where the per-client records say.
"""

from django.db import migrations

from tenants.evolution import users_table_evolve
from tenants.users_table_steps import USERS_TABLE

VERSION = 3


def evolve_every_client(apps, schema_editor):
    records = apps.get_model("tenants", "UsersTableVersion")
    steps = USERS_TABLE.up_to(VERSION)
    # A list, not an iterator: SQLite cannot alter a table under a read still open on its connection.
    for client in list(apps.get_model("tenants", "Client").objects.only("client_id", "users_database")):
        users_table_evolve(client, steps=steps, records=records)


class Migration(migrations.Migration):
    # Schema changes on SQLite cannot run inside the migration's transaction.
    atomic = False

    dependencies = [("tenants", "0014_client_mfa_policy")]

    operations = [migrations.RunPython(evolve_every_client, migrations.RunPython.noop)]
