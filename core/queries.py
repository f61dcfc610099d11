"""Small query helpers shared by every app's selectors."""

import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import connections, router
from django.db.models import Exists, Field, Model, QuerySet, UniqueConstraint
from django.db.models.expressions import Col

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
    its columns are (expressions, for their converters; the model attributes they fill).

    `converters` are Django's for each column that has any, looked up when compiling: looked up
    on every call they cost as much as running the statement. They are bound to the compiling
    thread's `connection.ops`, of which they read only what the alias's settings give every
    connection alike (its time zone), and are called with the calling thread's connection.
    """

    sql: str
    columns: tuple[Any, ...]
    attnames: tuple[str, ...]
    converters: tuple[tuple[int, tuple[Callable[..., Any], ...]], ...] = ()
    keepable = True  # every call puts its one value in the one placeholder

    @classmethod
    def of(cls, sql: str, columns: tuple[Any, ...], attnames: tuple[str, ...], connection: Any) -> "_Select":
        found = [connection.ops.get_db_converters(column) + column.get_db_converters(connection) for column in columns]
        return cls(sql, columns, attnames, tuple((position, tuple(each)) for position, each in enumerate(found) if each))

    def moved(self, source: type[Model], model: type[Model], connection: Any) -> "_Select":
        """This statement, compiled for `source`, for `model`: a model of the same shape on another
        table. Its columns and converters are `model`'s own, so nothing in it refers to `source`."""
        quote = connection.ops.quote_name
        sql = self.sql.replace(quote(source._meta.db_table), quote(model._meta.db_table))
        columns = tuple(_moved_column(column, source, model) for column in self.columns)
        # The same converters, those of `source`'s fields bound to `model`'s: looking them up again
        # cost three quarters of a move.
        converters = tuple(
            (position, tuple(_moved_converter(convert, source, model) for convert in each)) for position, each in self.converters
        )
        return _Select(sql, columns, self.attnames, converters)


def _moved_column(column: Any, source: type[Model], model: type[Model]) -> Any:
    if isinstance(column, Col) and column.target.model is source:
        return model._meta.get_field(column.target.name).get_col(model._meta.db_table)
    return column


def _moved_converter(convert: Callable[..., Any], source: type[Model], model: type[Model]) -> Callable[..., Any]:
    owner = getattr(convert, "__self__", None)
    if isinstance(owner, Field) and owner.model is source:
        return getattr(model._meta.get_field(owner.name), convert.__name__)
    return convert


# Kept on each model class itself, per (database alias, column): the SQL's columns refer back to
# the class, so a cache outside it would keep alive every per-client model the user-model
# cache evicts. On the class, both go together.
SELECTS_ATTRIBUTE = "_core_row_selects"

# Per-client models differ only by their table, and compiling a statement through the ORM costs
# most of a verify: a class that has none yet takes the one of a live class of the same shape,
# with the table renamed (`_Select.moved`). Held weakly: an evicted class is still freed.
_COMPILED_BY_SHAPE: "weakref.WeakValueDictionary[tuple, type[Model]]" = weakref.WeakValueDictionary()


def _shape(model: type[Model], using: str, key: str) -> tuple:
    """What decides a statement's SQL but the table: the class's bases, its columns and their types."""
    fields = tuple((field.attname, field.column, type(field)) for field in model._meta.concrete_fields)
    return (model.__bases__, fields, using, key)


def _kept_select(model: type[Model], using: str, key: str, compile_select: Callable[[], Any]) -> Any:
    """The statement `key` of `model` on `using`: kept on the class, else moved from a live class of
    the same shape, else compiled (and kept, unless the compiled one says it cannot be)."""
    selects = compiled_selects(model)
    select = selects.get((using, key))
    if select is not None:
        return select
    shape = _shape(model, using, key)
    source = _COMPILED_BY_SHAPE.get(shape)
    kept = compiled_selects(source).get((using, key)) if source is not None else None
    select = kept.moved(source, model, connections[using]) if kept is not None else compile_select()
    if select.keepable:
        selects[(using, key)] = select
        _COMPILED_BY_SHAPE[shape] = model
    return select


def row_by_unique(model: type[M], field_name: str, value: Any) -> M | None:
    """The row whose unique `field_name` equals `value`, or None: the ORM's answer.

    Same row, same field values (Django's converters) and same model instance (`from_db`) as
    `one_or_none(model.objects.filter(**{field_name: value}))`, but on SQL stores the ORM
    builds and compiles the SELECT once per model, database and column instead of on every
    call: that was a third of a token verify. Other stores take the ORM's path.
    """
    field = _unique_field(model, field_name)
    using = router.db_for_read(model)
    connection = connections[using]
    if connection.vendor not in SQL_VENDORS:
        return one_or_none(model._default_manager.db_manager(using).filter(**{field_name: value}))
    select = _kept_select(model, using, field_name, lambda: _compile_select(model, using, field_name, value))
    with connection.cursor() as cursor:
        cursor.execute(select.sql, [field.get_db_prep_value(field.to_python(value), connection)])
        row = cursor.fetchone()
    if row is None:
        return None
    return model.from_db(using, select.attnames, _converted(connection, select, row))


def _converted(connection: Any, select: _Select, row: tuple[Any, ...]) -> list[Any]:
    """A fetched row's values as the ORM gives them (its converters for each column)."""
    values = list(row)
    for position, converters in select.converters:
        for convert in converters:
            values[position] = convert(values[position], select.columns[position], connection)
    return values


def _unique_field(model: type[Model], field_name: str) -> Any:
    field = model._meta.get_field(field_name)
    if not (field.unique or _alone_in_a_unique_constraint(model, field_name)):  # LIMIT 1 would pick one of several rows at random
        raise ValueError(f"{model.__name__}.{field_name} is not unique")
    return field


def _alone_in_a_unique_constraint(model: type[Model], field_name: str) -> bool:
    """Whether a UniqueConstraint on this one field, for every row (no condition, no expression), holds."""
    return any(
        isinstance(constraint, UniqueConstraint) and tuple(constraint.fields) == (field_name,) and constraint.condition is None
        and not constraint.expressions
        for constraint in model._meta.constraints
    )


def kept_on_class(model: type[Model], attribute: str) -> dict:
    """A dict of statements kept on this very class (never a parent's: vars, not getattr), made on first use.
    On the class, because the statements refer back to it: kept elsewhere they would keep alive every
    per-client class the user-model cache evicts."""
    kept = vars(model).get(attribute)
    if kept is None:
        kept = {}
        setattr(model, attribute, kept)
    return kept


def compiled_selects(model: type[Model]) -> dict[tuple[str, str], "_Select | _SelectWithExists"]:
    """The SELECTs compiled for this very class."""
    return kept_on_class(model, SELECTS_ATTRIBUTE)


def _compile_select(model: type[Model], using: str, field_name: str, value: Any) -> _Select:
    compiler = model._default_manager.db_manager(using).filter(**{field_name: value}).order_by()[:1].query.get_compiler(using)
    sql, params = compiler.as_sql()
    if len(params) != 1:  # anything but `column = %s` is not this helper's
        raise ValueError(f"{model.__name__}.{field_name} does not compile to one parameter")
    columns = tuple(column for column, _sql, _alias in compiler.select)
    return _Select.of(sql, columns, tuple(column.target.attname for column in columns), connections[using])


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


@dataclass(frozen=True)
class _SelectWithExists:
    """A row by a unique column with one more column, an EXISTS: `select.columns` are the row's
    then the EXISTS's. `params` are the compiled ones (the ORM puts constants among them, such as
    the EXISTS subquery's `SELECT 1`); a call puts its two values at `row_param` and `exists_param`."""

    select: _Select
    params: tuple[Any, ...]
    row_param: int | None
    exists_param: int | None

    @property
    def keepable(self) -> bool:
        """Whether a call can put its values in (else it was run as compiled, for one call)."""
        return self.row_param is not None

    def moved(self, source: type[Model], model: type[Model], connection: Any) -> "_SelectWithExists":
        return _SelectWithExists(self.select.moved(source, model, connection), self.params, self.row_param, self.exists_param)


EXISTS_ANNOTATION = "core_exists_unset"


def row_and_exists_unset(
    model: type[M], field_name: str, value: Any, *, other: type[Model], other_field: str, other_value: Any, unset: str
) -> tuple[M | None, bool]:
    """`row_by_unique(model, field_name, value)` and, when it finds a row, `exists_unset(other,
    other_field, other_value, unset)`: the same row and the same answer (False when there is no row).

    One statement when both models are on the same SQL connection (the row's SELECT with an
    EXISTS column), compiled once per model, database and columns like `row_by_unique`; two
    reads otherwise (models on different databases, non-SQL stores).
    """
    _unique_field(model, field_name)
    using = router.db_for_read(model)
    connection = connections[using]
    if connection.vendor not in SQL_VENDORS or router.db_for_read(other) != using:
        row = row_by_unique(model, field_name, value)
        return row, row is not None and exists_unset(other, other_field, other_value, unset)
    values = (_db_value(model, field_name, value, connection), _db_value(other, other_field, other_value, connection))
    key = f"{field_name} and exists {other._meta.label}.{other_field} with null {unset}"

    def compile_select() -> _SelectWithExists:
        live = other._default_manager.db_manager(using).filter(**{other_field: other_value, f"{unset}__isnull": True})
        return _placed(_compile_select_with_exists(model, using, {field_name: value}, Exists(live)), values)

    select = _kept_select(model, using, key, compile_select)
    params = list(select.params)
    if select.keepable:
        params[select.row_param], params[select.exists_param] = values
    with connection.cursor() as cursor:
        cursor.execute(select.select.sql, params)
        row = cursor.fetchone()
    if row is None:
        return None, False
    converted = _converted(connection, select.select, row)
    return model.from_db(using, select.select.attnames, converted[:-1]), bool(converted[-1])


def _db_value(model: type[Model], field_name: str, value: Any, connection: Any) -> Any:
    field = model._meta.get_field(field_name)
    return field.get_db_prep_value(field.to_python(value), connection)


def _compile_select_with_exists(model: type[Model], using: str, lookup: dict[str, Any], exists: Exists) -> _SelectWithExists:
    attnames = tuple(field.attname for field in model._meta.concrete_fields)
    # The columns named (values_list) before the annotation: annotating a model's queryset lists
    # its fields with reverse relations, which Django's app registry then caches for good, and with
    # it a per-client model class the user-model cache evicts.
    queryset = model._default_manager.db_manager(using).filter(**lookup).values_list(*attnames)
    queryset = queryset.annotate(**{EXISTS_ANNOTATION: exists}).order_by()[:1]
    compiler = queryset.query.get_compiler(using)
    sql, params = compiler.as_sql()
    columns = tuple(column for column, _sql, _alias in compiler.select)
    named = tuple(getattr(getattr(column, "target", None), "attname", None) for column in columns[:-1])
    if named != attnames or compiler.annotation_col_map.get(EXISTS_ANNOTATION) != len(columns) - 1:
        raise ValueError(f"{model.__name__} by {', '.join(lookup)} with an EXISTS does not compile to the row then the EXISTS")
    return _SelectWithExists(_Select.of(sql, columns, attnames, connections[using]), tuple(params), None, None)


def _placed(select: _SelectWithExists, values: tuple[Any, Any]) -> _SelectWithExists:
    """`select` with where each of `values` sits among its parameters, when each sits at one place
    no other parameter shares (else it is run as compiled, for this call only, and not kept)."""
    found = [[position for position, param in enumerate(select.params) if param == value] for value in values]
    if any(len(positions) != 1 for positions in found):
        return select
    return _SelectWithExists(select.select, select.params, found[0][0], found[1][0])
