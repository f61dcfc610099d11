"""One new row written as `row.save(force_insert=True)` writes it, with the INSERT compiled once.

A login writes two or three rows (the refresh token or the MFA challenge, the audit record), and the
ORM builds and compiles each INSERT anew: a third of the statement's cost in this process, paid again
cold right after every bcrypt check. On SQL stores `row_insert` compiles the statement once per model
and database and then only prepares the values, field by field, as the ORM's compiler does
(`pre_save`, then `get_db_prep_save`). What the ORM would do differently takes the ORM's path: another
store, a model a save signal is connected to (they would not be sent), a primary key left for the
database to make, or a value that is an expression.
"""

from dataclasses import dataclass
from typing import Any

from django.db import connections, router, transaction
from django.db.models import Field, Model
from django.db.models.signals import post_save, pre_save
from django.db.models.sql import InsertQuery

from core.queries import SQL_VENDORS, kept_on_class

# Kept on each model class itself (core.queries.kept_on_class), per database alias.
INSERTS_ATTRIBUTE = "_core_row_inserts"


@dataclass(frozen=True)
class _Insert:
    sql: str
    fields: tuple[Field, ...]


def row_insert(row: Model) -> None:
    """Insert `row` (its primary key already set) as `row.save(force_insert=True)` would."""
    model = type(row)
    using = router.db_for_write(model, instance=row)
    connection = connections[using]
    if connection.vendor not in SQL_VENDORS or not _insertable_as_compiled(model) or row.pk is None:
        row.save(force_insert=True, using=using)
        return
    inserts = kept_on_class(model, INSERTS_ATTRIBUTE)
    insert = inserts.get(using)
    values = [field.pre_save(row, True) for field in (insert.fields if insert else _insert_fields(model))]
    if any(hasattr(value, "resolve_expression") for value in values):
        row.save(force_insert=True, using=using)
        return
    if insert is None:
        insert = inserts[using] = _compile(model, row, connection)
    params = [field.get_db_prep_save(value, connection) for field, value in zip(insert.fields, values, strict=True)]
    # As Model.save_base: a failed insert inside atomic() marks the block for rollback.
    with transaction.mark_for_rollback_on_error(using), connection.cursor() as cursor:
        cursor.execute(insert.sql, params)
    row._state.adding = False
    row._state.db = using


def _insertable_as_compiled(model: type[Model]) -> bool:
    """No signal to send, no parent table, nothing the database fills in and hands back."""
    meta = model._meta
    return not (pre_save.has_listeners(model) or post_save.has_listeners(model) or meta.parents or meta.db_returning_fields)


def _insert_fields(model: type[Model]) -> tuple[Field, ...]:
    return tuple(model._meta.local_concrete_fields)


def _compile(model: type[Model], row: Model, connection: Any) -> _Insert:
    fields = _insert_fields(model)
    query = InsertQuery(model)
    query.insert_values(fields, [row])
    (sql, _params), = query.get_compiler(connection=connection).as_sql()
    return _Insert(sql, fields)

