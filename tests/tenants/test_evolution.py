"""Per-client users tables evolve by numbered steps: on every store, recorded per client, resumable,
never done twice, and the latest state is the live model."""

import sqlite3
import uuid

import pytest
from django.db import models

from tenants.evolution import (
    AddField,
    AddIndex,
    RemoveIndex,
    RunBatches,
    Step,
    Steps,
    database_of,
    index_names,
    users_table_evolve,
)
from tenants.models import UsersTableVersion
from tenants.user_models import user_model_for
from tenants.users_table_steps import BASE, USERS_TABLE

pytestmark = pytest.mark.django_db(transaction=True)

INDEXED = Steps(
    BASE,
    (
        Step(1, AddIndex(models.Index(fields=["created_at"], name="{table}_created_idx"))),
        Step(2, RemoveIndex("{table}_created_idx")),
    ),
)


def recorded(client) -> tuple[int, dict | None]:
    return UsersTableVersion.objects.filter(pk=client.client_id).values_list("version", "progress").get()


def indexes_of(client, steps: Steps = INDEXED) -> set[str]:
    model = steps.model_at(0, client)
    return index_names(database_of(model), model._meta.db_table)


def shape(model) -> dict:
    """What a table is made of: each column's field definition, and the constraints and indexes."""
    return {
        "fields": {field.column: field.deconstruct()[1:] for field in model._meta.local_concrete_fields},
        "constraints": {constraint.name: constraint.deconstruct() for constraint in model._meta.constraints},
        "indexes": {index.name: index.deconstruct() for index in model._meta.indexes},
    }


@pytest.mark.store_independent
def test_the_latest_step_is_the_live_model(tenant):
    """Base state plus every step gives exactly the fields, constraints and indexes of AbstractTenantUser."""
    assert shape(USERS_TABLE.model_at(USERS_TABLE.latest, tenant.client)) == shape(user_model_for(tenant.client))


def test_an_old_table_is_brought_to_the_latest_version_with_its_rows(old_clients):
    """A version-0 table gains token_generation, mfa and mfa_revision; its user keeps its row and reads the defaults."""
    [client] = old_clients(1, version=0)

    evolution = users_table_evolve(client, steps=USERS_TABLE, records=UsersTableVersion)

    assert (evolution.created, evolution.from_version, evolution.to_version) == (False, 0, USERS_TABLE.latest)
    assert recorded(client) == (USERS_TABLE.latest, None)
    [user] = user_model_for(client).objects.all()
    assert (user.email, user.token_generation, user.mfa, user.mfa_revision) == ("user0@example.com", 0, {}, 0)


def test_a_table_of_the_previous_release_gains_the_mfa_revision_its_factors_are_written_under(old_clients):
    """Version 2 (the release before MFA): step 3 adds mfa_revision (0 on every row), and a conditional write of
    the user's factors then succeeds once and refuses a write based on the old revision."""
    from accounts.mfa_factors import mfa_write

    [client] = old_clients(1, version=2)
    evolution = users_table_evolve(client, steps=USERS_TABLE, records=UsersTableVersion)

    assert (evolution.from_version, evolution.to_version) == (2, 3)
    [user] = user_model_for(client).objects.all()
    stale = user_model_for(client).objects.get(pk=user.pk)
    assert mfa_write(user, lambda mfa: {**mfa, "totp": {"confirmed": False}}) == {"totp": {"confirmed": False}}
    assert user_model_for(client).objects.values_list("mfa_revision", flat=True).get() == 1
    seen: list[dict] = []

    def change_once(mfa: dict) -> dict | None:
        seen.append(mfa)
        return {**mfa, "stale": True} if len(seen) == 1 else None

    assert mfa_write(stale, change_once) is None  # its write of revision 0 matched nothing; asked again, it refused
    assert seen == [{}, {"totp": {"confirmed": False}}]
    assert user_model_for(client).objects.values_list("mfa", flat=True).get() == {"totp": {"confirmed": False}}


def test_a_step_done_but_not_recorded_is_not_done_again(old_clients):
    """A latest table with no record (a run killed before recording, or an older release): the steps find
    their change there, keep the data, and only the record is written."""
    [client] = old_clients(1, version=USERS_TABLE.latest, recorded=False)
    model = user_model_for(client)
    model.objects.update(token_generation=3, mfa={"totp": "enrolled"}, mfa_revision=4)

    assert users_table_evolve(client, steps=USERS_TABLE, records=UsersTableVersion).from_version == 0

    assert recorded(client) == (USERS_TABLE.latest, None)
    assert list(model.objects.values_list("token_generation", "mfa", "mfa_revision")) == [(3, {"totp": "enrolled"}, 4)]


def test_a_migration_applies_only_the_steps_up_to_its_own_version(old_clients):
    """`steps.up_to(n)` stops at version n even when later steps exist, as a migration written then did."""
    [client] = old_clients(1, version=0)

    users_table_evolve(client, steps=USERS_TABLE.up_to(1), records=UsersTableVersion)

    assert recorded(client) == (1, None)
    [row] = USERS_TABLE.model_at(1, client).objects.values("token_generation")
    assert row == {"token_generation": 0}


def test_an_index_is_added_then_dropped_and_each_rerun_is_harmless(old_clients):
    """AddIndex creates the named index on the client's table, RemoveIndex drops it; unrecorded reruns pass."""
    [client] = old_clients(1, version=0, steps=INDEXED)
    index = f"users_{client.client_id.hex}_created_idx"

    users_table_evolve(client, steps=INDEXED, records=UsersTableVersion, target=1)
    assert index in indexes_of(client)
    UsersTableVersion.objects.filter(pk=client.client_id).update(version=0)
    users_table_evolve(client, steps=INDEXED, records=UsersTableVersion, target=1)
    assert index in indexes_of(client)

    users_table_evolve(client, steps=INDEXED, records=UsersTableVersion)
    assert index not in indexes_of(client)
    UsersTableVersion.objects.filter(pk=client.client_id).update(version=1)
    users_table_evolve(client, steps=INDEXED, records=UsersTableVersion)
    assert index not in indexes_of(client) and recorded(client) == (2, None)


class Crash(Exception):
    """What the backfill raises to stop a run midway, as a killed process would stop."""


def counting_steps(calls: list[int], crash_on_call: int | None) -> Steps:
    """A `visits` column, then a backfill (3 rows a batch) that counts each row it touches."""

    def backfill(model, keys):
        calls.append(len(keys))
        if len(calls) == crash_on_call:
            raise Crash
        model.objects.filter(pk__in=keys).update(visits=models.F("visits") + 1)

    return Steps(BASE, (Step(1, AddField("visits", models.IntegerField(default=0))), Step(2, RunBatches(backfill, batch_size=3))))


def test_a_batched_backfill_resumes_after_a_crash_without_redoing_or_losing_rows(old_clients):
    """Killed in its third batch, the backfill restarts at that batch: every row is touched exactly once,
    and the progress of each batch is reported and recorded."""
    [client] = old_clients(1, version=0, steps=counting_steps([], None), users=10)
    calls: list[int] = []
    reports: list[tuple[int, int]] = []

    def report(step, progress):
        reports.append((step, progress["rows"]))

    with pytest.raises(Crash):
        users_table_evolve(client, steps=counting_steps(calls, crash_on_call=3), records=UsersTableVersion, report=report)
    version, progress = recorded(client)
    assert (version, progress["step"], progress["rows"]) == (1, 2, 6)

    users_table_evolve(client, steps=counting_steps(calls, crash_on_call=None), records=UsersTableVersion, report=report)

    assert calls == [3, 3, 3, 3, 1]  # the crashed batch ran again, no other one did
    assert reports == [(2, 3), (2, 6), (2, 9), (2, 10)]
    assert recorded(client) == (2, None)
    model = counting_steps([], None).model_at(2, client)
    assert sorted(model.objects.values_list("visits", flat=True)) == [1] * 10


def test_a_missing_table_is_created_at_the_version_asked(old_clients):
    """A client without a table gets it at the target version directly, recorded there."""
    [client] = old_clients(1, version=0)
    with database_of(USERS_TABLE.model_at(0, client)).schema_editor() as editor:
        editor.delete_model(USERS_TABLE.model_at(0, client))

    evolution = users_table_evolve(client, steps=USERS_TABLE, records=UsersTableVersion)

    assert evolution.created and recorded(client) == (USERS_TABLE.latest, None)
    user_model_for(client).objects.create(email="new@example.com", password_hash="x")
    assert user_model_for(client).objects.get().mfa == {}


# A client and its users table as a release before this one left them in SQLite (tenants migrations up
# to 0005; the table as first released, without token_generation or mfa).
OLD_CLIENT = """INSERT INTO clients (client_id, client_name, industry, is_active, require_email_verification,
    custom_fields_schema, rate_limits, created_at, updated_at) VALUES (?, 'Old', 'SaaS', 1, 0, 'null', '{}', ?, ?)"""
OLD_TABLE = """CREATE TABLE "users_{hex}" ("user_id" char(32) NOT NULL PRIMARY KEY, "email" varchar(254) NOT NULL,
    "password_hash" varchar(255) NOT NULL, "custom_fields" text NOT NULL CHECK ((JSON_VALID("custom_fields")
    OR "custom_fields" IS NULL)), "email_verified" bool NOT NULL, "is_active" bool NOT NULL, "created_at" datetime
    NOT NULL, "updated_at" datetime NOT NULL, CONSTRAINT "users_{hex}_email_uniq" UNIQUE ("email"))"""
OLD_USER = """INSERT INTO "users_{hex}" VALUES (?, 'ada@example.com', 'x', '{{"plan": "pro"}}', 1, 1, ?, ?)"""


@pytest.mark.embedded_default
def test_migrate_brings_an_older_releases_tables_to_its_version(fresh_manage, tmp_path):
    """`migrate` from a release before this one: the old client's table gains token_generation and mfa, its user
    keeps its row, the latest version is recorded, and the client is placed on the default database."""
    fresh_manage("migrate", "tenants", "0005", "--noinput")
    client_id, user_id, now = uuid.uuid4().hex, uuid.uuid4().hex, "2026-01-01 00:00:00"
    with sqlite3.connect(tmp_path / "db.sqlite3") as database:
        database.execute(OLD_CLIENT, (client_id, now, now))
        database.execute(OLD_TABLE.format(hex=client_id))
        database.execute(OLD_USER.format(hex=client_id), (user_id, now, now))
    database.close()

    fresh_manage("migrate", "--noinput")

    with sqlite3.connect(tmp_path / "db.sqlite3") as database:
        user = database.execute(f'SELECT email, custom_fields, token_generation, mfa, mfa_revision FROM "users_{client_id}"').fetchall()
        recorded = database.execute("SELECT version, progress FROM users_table_versions WHERE client_id = ?", (client_id,))
        placed = database.execute("SELECT users_database FROM clients WHERE client_id = ?", (client_id,)).fetchone()
        assert (user, recorded.fetchall(), placed) == ([("ada@example.com", '{"plan": "pro"}', 0, "{}", 0)], [(USERS_TABLE.latest, None)], ("default",))
    database.close()
