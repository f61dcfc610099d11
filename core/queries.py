"""Small query helpers shared by every app's selectors."""

from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import connections, router
from django.db.models import Model, QuerySet

M = TypeVar("M", bound=Model)

# Stores whose cursor runs the SQL the ORM compiles (django-mongodb-backend compiles to MQL).
SQL_VENDORS = frozenset({"sqlite", "postgresql"})


def one_or_none(queryset: QuerySet[M]) -> M | None:
    """The row a filter on a unique column selects, or None.

    Unlike `.first()`, no ORDER BY, not even the model's default ordering: the filter already
    names at most one row, and compiling and running the ordering cost a twelfth of a token verify.
    """
    return next(iter(queryset.order_by()[:1]), None)


@dataclass(frozen=True)
class _Select:
    """One row by a unique column, compiled by the ORM: SQL with one placeholder, and what
    its columns are (expressions, for their converters; the model attributes they fill)."""

    sql: str
    columns: tuple[Any, ...]
    attnames: tuple[str, ...]


# Kept on each model class itself, per (database alias, column): the SQL's columns refer back to
# the class, so a cache outside it would keep alive every per-client model the user-model
# cache evicts. On the class, both go together.
SELECTS_ATTRIBUTE = "_core_row_selects"


def row_by_unique(model: type[M], field_name: str, value: Any) -> M | None:
    """The row whose unique `field_name` equals `value`, or None: the ORM's answer.

    Same row, same field values (Django's converters) and same model instance (`from_db`) as
    `one_or_none(model.objects.filter(**{field_name: value}))`, but on SQL stores the ORM
    builds and compiles the SELECT once per model, database and column instead of on every
    call: that was a third of a token verify. Other stores take the ORM's path.
    """
    field = model._meta.get_field(field_name)
    if not field.unique:  # LIMIT 1 would pick one of several rows at random
        raise ValueError(f"{model.__name__}.{field_name} is not unique")
    using = router.db_for_read(model)
    connection = connections[using]
    if connection.vendor not in SQL_VENDORS:
        return one_or_none(model._default_manager.db_manager(using).filter(**{field_name: value}))
    selects = compiled_selects(model)
    select = selects.get((using, field_name))
    if select is None:
        select = selects[(using, field_name)] = _compile_select(model, using, field_name, value)
    with connection.cursor() as cursor:
        cursor.execute(select.sql, [field.get_db_prep_value(field.to_python(value), connection)])
        row = cursor.fetchone()
    if row is None:
        return None
    values = list(row)
    for position, column in enumerate(select.columns):
        for convert in connection.ops.get_db_converters(column) + column.get_db_converters(connection):
            values[position] = convert(values[position], column, connection)
    return model.from_db(using, select.attnames, values)


def compiled_selects(model: type[Model]) -> dict[tuple[str, str], _Select]:
    """The SELECTs compiled for this very class (never a parent's: vars, not getattr)."""
    selects = vars(model).get(SELECTS_ATTRIBUTE)
    if selects is None:
        selects = {}
        setattr(model, SELECTS_ATTRIBUTE, selects)
    return selects


def _compile_select(model: type[Model], using: str, field_name: str, value: Any) -> _Select:
    compiler = model._default_manager.db_manager(using).filter(**{field_name: value}).order_by()[:1].query.get_compiler(using)
    sql, params = compiler.as_sql()
    if len(params) != 1:  # anything but `column = %s` is not this helper's
        raise ValueError(f"{model.__name__}.{field_name} does not compile to one parameter")
    columns = tuple(column for column, _sql, _alias in compiler.select)
    return _Select(sql, columns, tuple(column.target.attname for column in columns))


def exists_unset(model: type[Model], field_name: str, value: Any, unset: str) -> bool:
    """Whether a row has `field_name` = `value` and a null `unset`: the ORM's `.exists()`.

    Compiled once per model, database and columns on SQL stores, like `row_by_unique`: built
    on every call, the queryset cost more than the query it runs (token verify asks per call).
    """
    using = router.db_for_read(model)
    connection = connections[using]
    if connection.vendor not in SQL_VENDORS:
        return model._default_manager.db_manager(using).filter(**{field_name: value, f"{unset}__isnull": True}).exists()
    selects = compiled_selects(model)
    key = (using, f"exists {field_name} with null {unset}")
    select = selects.get(key)
    if select is None:
        queryset = model._default_manager.db_manager(using).filter(**{field_name: value, f"{unset}__isnull": True})
        # The primary key rather than `.exists()`'s SELECT 1, which some stores pass as a parameter.
        sql, params = queryset.order_by().values_list("pk")[:1].query.get_compiler(using).as_sql()
        if len(params) != 1:  # anything but `column = %s AND other IS NULL` is not this helper's
            raise ValueError(f"{model.__name__}.{field_name} does not compile to one parameter")
        select = selects[key] = _Select(sql, (), ())
    field = model._meta.get_field(field_name)
    with connection.cursor() as cursor:
        cursor.execute(select.sql, [field.get_db_prep_value(field.to_python(value), connection)])
        return cursor.fetchone() is not None
