"""Creates a client's `users_<client_id hex>` collection and its unique email index, and adds
the columns a newer release gave the per-client model (the `tenants` migrations run this for
every client, since `migrate` itself never touches these tables).

Idempotent: it only adds what is missing, so running it again (from the API, admin,
`create_client` or `provision_tenants`) is harmless and repairs a half-provisioned tenant.
"""

import enum
import uuid

from django.db import connections

from tenants.routers import TenantRouter
from tenants.user_models import user_model_for, users_table_name


class ProvisionOutcome(enum.Enum):
    CREATED = "created"
    REPAIRED = "repaired"
    UNCHANGED = "unchanged"


def _tenant_connection(model):
    return connections[TenantRouter().db_for_write(model)]


def has_unique_email_index(connection, table: str) -> bool:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    return any(info["unique"] and info["columns"] == ["email"] for info in constraints.values())


def tenant_table_exists(connection, table: str) -> bool:
    # Ask for this one name: listing every collection or table would make each provisioning
    # cost grow with the number of clients.
    if connection.vendor == "mongodb":
        return bool(connection.database.list_collection_names(filter={"name": table}))
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = %s", [table])
            return cursor.fetchone() is not None
        return table in connection.introspection.table_names(cursor)


def missing_columns(connection, model) -> list:
    """Fields of the model that a table created by an older release lacks (none on MongoDB,
    where a document without a field reads as that field's absence)."""
    if connection.vendor == "mongodb":
        return []
    with connection.cursor() as cursor:
        present = {column.name for column in connection.introspection.get_table_description(cursor, model._meta.db_table)}
    return [field for field in model._meta.local_concrete_fields if field.column not in present]


def provision_user_collection(client_id: uuid.UUID) -> ProvisionOutcome:
    model = user_model_for(client_id)
    connection = _tenant_connection(model)
    table = users_table_name(client_id)
    if not tenant_table_exists(connection, table):
        with connection.schema_editor() as editor:
            editor.create_model(model)
        return ProvisionOutcome.CREATED
    missing = missing_columns(connection, model)
    has_index = has_unique_email_index(connection, table)
    if has_index and not missing:
        return ProvisionOutcome.UNCHANGED
    with connection.schema_editor() as editor:
        for field in missing:
            editor.add_field(model, field)
        if not has_index:
            editor.add_constraint(model, model._meta.constraints[0])
    return ProvisionOutcome.REPAIRED


def drop_user_collection(client_id: uuid.UUID) -> bool:
    model = user_model_for(client_id)
    connection = _tenant_connection(model)
    if not tenant_table_exists(connection, users_table_name(client_id)):
        return False
    with connection.schema_editor() as editor:
        editor.delete_model(model)
    return True
