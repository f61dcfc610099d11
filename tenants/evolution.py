"""Evolving every client's users table: numbered steps, applied per client, recorded, resumable.

`migrate` never touches the per-client tables (tenants/routers.py), so their schema changes are
written as steps instead: `tenants.users_table_steps` declares the table as first released (a
`TableState`) and each change after it (`AddField`, `AddIndex`, `RemoveIndex`, `RunBatches`),
each step carrying its own field and index definitions, never a reference to the live model. The
state at any version is therefore known without importing today's code, which is what lets a
Django migration bring tables to *its* version (`steps.up_to(n)`), as it was when it was written.

Each step is applied with the schema editor of the database the client's record names (through
`django.db.router`), then recorded (`UsersTableVersion`, one row per client); a batched step also
records where it stopped after each batch. A run killed at any point resumes where the records
say, and every operation first checks whether its change is already there, so a step that
completed but was not yet recorded is not done twice.
"""

import functools
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from django.apps.registry import Apps
from django.db import connections, models, router
from django.db.models.constraints import BaseConstraint
from django.utils import timezone

from tenants.user_models import users_table_name

APP_LABEL = "tenant_users_history"
MAX_NAME_LENGTH = 63  # PostgreSQL's identifier limit, the tightest of the three stores

Progress = dict[str, Any]
BatchReport = Callable[[int, Progress], None]


@dataclass(frozen=True)
class TableState:
    """A users table at one version: its fields, and its constraints and indexes named by
    templates such as "{table}_email_uniq" (each client's table needs names of its own)."""

    fields: tuple[tuple[str, models.Field], ...]
    constraints: tuple[BaseConstraint, ...] = ()
    indexes: tuple[models.Index, ...] = ()

    def render(self, client) -> type[models.Model]:
        """A model class of this state for `client`'s table, routed by `client.users_database`."""
        table = users_table_name(client.client_id)
        meta = type(
            "Meta",
            (),
            {
                "app_label": APP_LABEL,
                "apps": Apps(installed_apps=[]),
                "db_table": table,
                "constraints": [_named(constraint, table) for constraint in self.constraints],
                "indexes": [_named(index, table) for index in self.indexes],
            },
        )
        attrs = {name: definition.clone() for name, definition in self.fields}
        attrs |= {"__module__": __name__, "Meta": meta, "is_tenant_user_model": True, "users_database": client.users_database}
        return type(f"UsersTable_{client.client_id.hex}", (models.Model,), attrs)


def _named(template: BaseConstraint | models.Index, table: str):
    named = template.clone()
    named.name = template.name.format(table=table)
    if len(named.name) > MAX_NAME_LENGTH:
        raise ValueError(f"{named.name!r} is longer than {MAX_NAME_LENGTH} characters.")
    return named


@dataclass
class StepRun:
    """What an operation works on: the table as the step finds it and leaves it, and its progress."""

    before: type[models.Model]
    after: type[models.Model]
    connection: Any
    progress: Progress | None
    save_progress: Callable[[Progress], None]

    @property
    def table(self) -> str:
        return self.after._meta.db_table


class Operation:
    """One change to a users table. `apply` must be harmless when the change is already there."""

    def state_forwards(self, state: TableState) -> TableState:
        return state

    def apply(self, run: StepRun) -> None:
        raise NotImplementedError


@dataclass(frozen=True)
class AddField(Operation):
    """A new column (on MongoDB, a field set on every document that lacks it) with its default."""

    name: str
    field: models.Field

    def __post_init__(self):
        if self.field.unique or self.field.db_index:
            raise ValueError("Index a new field with AddIndex, whose name every store can check.")

    def state_forwards(self, state: TableState) -> TableState:
        return replace(state, fields=(*state.fields, (self.name, self.field)))

    def apply(self, run: StepRun) -> None:
        added = run.after._meta.get_field(self.name)
        if run.connection.vendor == "mongodb":
            with run.connection.schema_editor() as editor:
                value = editor.effective_default(added)
            run.connection.get_collection(run.table).update_many({added.column: {"$exists": False}}, {"$set": {added.column: value}})
            return
        if added.column in table_columns(run.connection, run.table):
            return
        with run.connection.schema_editor() as editor:
            if run.connection.vendor == "sqlite":
                _add_column_with_its_default(editor, run.before, added)
            else:
                editor.add_field(run.before, added)


def _add_column_with_its_default(editor, model: type[models.Model], added: models.Field) -> None:
    """SQLite: one ALTER TABLE ADD COLUMN, keeping the default in the table. Django instead rebuilds
    the table (SQLite cannot drop a default afterwards), and each rebuild's RENAME rewrites the schema
    of every table: with thousands of clients, every client would cost as much as all of them. The
    default left in the table is harmless: Django writes every field on insert."""
    definition, params = editor.column_sql(model, added, include_default=True)
    check = added.db_parameters(connection=editor.connection)["check"]
    if check:
        definition += " " + editor.sql_check_constraint % {"check": check}
    table, column = editor.quote_name(model._meta.db_table), editor.quote_name(added.column)
    editor.execute(editor.sql_create_column % {"table": table, "column": column, "definition": definition}, params or None)


@dataclass(frozen=True)
class AddIndex(Operation):
    index: models.Index

    def state_forwards(self, state: TableState) -> TableState:
        return replace(state, indexes=(*state.indexes, self.index))

    def apply(self, run: StepRun) -> None:
        index = _rendered_index(run.after, self.index.name)
        if index.name in index_names(run.connection, run.table):
            return
        with run.connection.schema_editor() as editor:
            editor.add_index(run.after, index)


@dataclass(frozen=True)
class RemoveIndex(Operation):
    name: str  # the template the index was added with

    def state_forwards(self, state: TableState) -> TableState:
        kept = tuple(index for index in state.indexes if index.name != self.name)
        if len(kept) == len(state.indexes):
            raise ValueError(f"No index {self.name!r} to remove.")
        return replace(state, indexes=kept)

    def apply(self, run: StepRun) -> None:
        index = _rendered_index(run.before, self.name)
        if index.name not in index_names(run.connection, run.table):
            return
        with run.connection.schema_editor() as editor:
            editor.remove_index(run.before, index)


@dataclass(frozen=True)
class RunBatches(Operation):
    """Calls `backfill(model, primary_keys)` on the rows in primary-key order, `batch_size` at a
    time, recording after each batch the last key done. A kill between a batch and its record
    repeats that one batch, so `backfill` must be idempotent (e.g. update only rows still unset)."""

    backfill: Callable[[type[models.Model], list], None]
    batch_size: int = 1000

    def apply(self, run: StepRun) -> None:
        progress = dict(run.progress or {"rows": 0})
        while True:
            rows = run.after.objects.order_by("pk")
            if "after" in progress:
                rows = rows.filter(pk__gt=run.after._meta.pk.to_python(progress["after"]))
            keys = list(rows.values_list("pk", flat=True)[: self.batch_size])
            if not keys:
                return
            self.backfill(run.after, keys)
            progress = {"after": str(keys[-1]), "rows": progress["rows"] + len(keys)}
            run.save_progress(progress)


def _rendered_index(model: type[models.Model], template: str) -> models.Index:
    name = template.format(table=model._meta.db_table)
    return next(index for index in model._meta.indexes if index.name == name)


def table_exists(connection, table: str) -> bool:
    # Ask for this one name: listing every collection or table would make each provisioning
    # cost grow with the number of clients.
    if connection.vendor == "mongodb":
        return bool(connection.database.list_collection_names(filter={"name": table}))
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = %s", [table])
        elif connection.vendor == "postgresql":
            cursor.execute("SELECT 1 WHERE to_regclass(%s) IS NOT NULL", [connection.ops.quote_name(table)])
        else:
            return table in connection.introspection.table_names(cursor)
        return cursor.fetchone() is not None


# On SQLite, Django's introspection parses the table's SQL (some 10 ms a table); its pragmas answer
# these two questions at once, which matters over thousands of clients.


def table_columns(connection, table: str) -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM pragma_table_info(%s)", [table])
            return {name for (name,) in cursor.fetchall()}
        return {column.name for column in connection.introspection.get_table_description(cursor, table)}


def index_names(connection, table: str) -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM pragma_index_list(%s)", [table])
            return {name for (name,) in cursor.fetchall()}
        return set(connection.introspection.get_constraints(cursor, table))


@dataclass(frozen=True)
class Step:
    number: int
    operation: Operation


@dataclass(frozen=True)
class Steps:
    """The base state and the numbered steps after it; the state at every version is derived."""

    base: TableState
    steps: tuple[Step, ...]
    states: tuple[TableState, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        numbers = [step.number for step in self.steps]
        if numbers != list(range(1, len(numbers) + 1)):
            raise ValueError(f"Steps must be numbered 1, 2, 3… in order, not {numbers}.")
        states = [self.base]
        for step in self.steps:
            states.append(step.operation.state_forwards(states[-1]))
        object.__setattr__(self, "states", tuple(states))

    @property
    def latest(self) -> int:
        return len(self.steps)

    def up_to(self, version: int) -> "Steps":
        """These steps as they stood at `version`: what a migration written then applies."""
        return Steps(self.base, self.steps[:version])

    def model_at(self, version: int, client) -> type[models.Model]:
        return self.states[version].render(client)


def database_of(model: type[models.Model]):
    return connections[router.db_for_write(model)]


@dataclass(frozen=True)
class Evolution:
    """What one run did to one client's table."""

    created: bool
    from_version: int
    to_version: int

    @property
    def upgraded(self) -> bool:
        return not self.created and self.to_version > self.from_version


class VersionRecords:
    """The `UsersTableVersion` rows, through the model given: the live one, or a migration's historical one."""

    def __init__(self, model: type[models.Model]):
        self.model = model

    def read(self, client_id) -> tuple[int, Progress | None]:
        return self.model.objects.filter(pk=client_id).values_list("version", "progress").first() or (0, None)

    def write(self, client_id, version: int, progress: Progress | None = None) -> None:
        changes = {"version": version, "progress": progress, "updated_at": timezone.now()}
        if not self.model.objects.filter(pk=client_id).update(**changes):
            self.model.objects.create(client_id=client_id, **changes)


def users_table_evolve(client, *, steps: Steps, records: type[models.Model], target: int | None = None,
                       report: BatchReport | None = None) -> Evolution:
    """Bring `client`'s users table to `target` (default: the latest step), creating it there if
    it is missing. `client` needs `client_id` and `users_database` (a historical Client will do)."""
    target = steps.latest if target is None else target
    versions = VersionRecords(records)
    version, progress = versions.read(client.client_id)
    model_at = functools.cache(lambda number: steps.model_at(number, client))
    connection = database_of(model_at(target))
    if not table_exists(connection, model_at(target)._meta.db_table):
        with connection.schema_editor() as editor:
            editor.create_model(model_at(target))
        versions.write(client.client_id, target)
        return Evolution(created=True, from_version=version, to_version=target)
    for step in steps.steps[version:target]:
        resumed = progress if progress and progress.get("step") == step.number else None
        _apply(step, client, model_at, connection, versions, resumed, report)
        versions.write(client.client_id, step.number)
    return Evolution(created=False, from_version=version, to_version=max(version, target))


def _apply(step: Step, client, model_at: Callable[[int], type[models.Model]], connection, versions: VersionRecords,
           progress: Progress | None, report: BatchReport | None) -> None:
    def save_progress(done: Progress) -> None:
        versions.write(client.client_id, step.number - 1, {"step": step.number, **done})
        if report is not None:
            report(step.number, done)

    step.operation.apply(
        StepRun(
            before=model_at(step.number - 1),
            after=model_at(step.number),
            connection=connection,
            progress={key: value for key, value in progress.items() if key != "step"} if progress else None,
            save_progress=save_progress,
        )
    )
