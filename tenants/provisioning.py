"""Creates a client's `users_<client_id hex>` collection at the latest version of
`tenants.users_table_steps`, brings an existing one up to it (tenants/evolution.py), and restores
its unique email index if it was lost.

Idempotent: it only does what is missing, so running it again (from the API, admin,
`create_client` or `provision_tenants`) is harmless and repairs a half-provisioned tenant. The
database is the one the client's record names, through `django.db.router`.
"""

import enum

from tenants.evolution import BatchReport, database_of, table_exists, users_table_evolve
from tenants.models import Client, UsersTableVersion
from tenants.user_models import user_model_for
from tenants.users_table_steps import USERS_TABLE

# Kept under their former names for the callers that check a table.
tenant_table_exists = table_exists


class ProvisionOutcome(enum.Enum):
    CREATED = "created"
    UPGRADED = "upgraded"
    REPAIRED = "repaired"
    UNCHANGED = "unchanged"


# A unique index whose only column is email (SQLite: asked of its pragmas, see tenants/evolution.py).
SQLITE_UNIQUE_EMAIL_INDEX = """
    SELECT 1 FROM pragma_index_list(%s) AS list JOIN pragma_index_info(list.name) AS info
    WHERE list."unique" GROUP BY list.name HAVING count(*) = 1 AND max(info.name) = 'email'
"""


def has_unique_email_index(connection, table: str) -> bool:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(SQLITE_UNIQUE_EMAIL_INDEX, [table])
            return cursor.fetchone() is not None
        constraints = connection.introspection.get_constraints(cursor, table)
    return any(info["unique"] and info["columns"] == ["email"] for info in constraints.values())


def provision_user_collection(client: Client, *, report: BatchReport | None = None) -> ProvisionOutcome:
    evolution = users_table_evolve(client, steps=USERS_TABLE, records=UsersTableVersion, report=report)
    if evolution.created:
        return ProvisionOutcome.CREATED
    model = user_model_for(client)
    connection = database_of(model)
    repaired = not has_unique_email_index(connection, model._meta.db_table)
    if repaired:
        with connection.schema_editor() as editor:
            editor.add_constraint(model, model._meta.constraints[0])
    if evolution.upgraded:
        return ProvisionOutcome.UPGRADED
    return ProvisionOutcome.REPAIRED if repaired else ProvisionOutcome.UNCHANGED


def drop_user_collection(client: Client) -> bool:
    """Drop the client's users collection; `client` may also be a client_id (`user_model_for`)."""
    model = user_model_for(client)
    connection = database_of(model)
    if not table_exists(connection, model._meta.db_table):
        return False
    with connection.schema_editor() as editor:
        editor.delete_model(model)
    return True
