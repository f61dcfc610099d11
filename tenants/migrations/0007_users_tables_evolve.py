"""Brings every client's users table to version 2 of `tenants.users_table_steps` (the
`token_generation` and `mfa` fields), recording each client's version as it goes.

`migrate` never touches these tables (tenants/routers.py), so this applies the steps as they were
declared up to version 2, to the historical Client rows; a later step is applied by a later
migration. Killed midway, `migrate` (or `provision_tenants`) resumes where the records say.
"""

from django.db import migrations

from tenants.evolution import users_table_evolve
from tenants.users_table_steps import USERS_TABLE

VERSION = 2


def evolve_every_client(apps, schema_editor):
    records = apps.get_model("tenants", "UsersTableVersion")
    steps = USERS_TABLE.up_to(VERSION)
    # A list, not an iterator: SQLite cannot rebuild a table under a read still open on its connection.
    for client in list(apps.get_model("tenants", "Client").objects.only("client_id", "users_database")):
        users_table_evolve(client, steps=steps, records=records)


class Migration(migrations.Migration):
    # Schema changes on SQLite cannot run inside the migration's transaction.
    atomic = False

    dependencies = [("tenants", "0006_client_users_database_and_table_versions")]

    operations = [migrations.RunPython(evolve_every_client, migrations.RunPython.noop)]
