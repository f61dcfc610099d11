"""core.queries: a unique row read without ORDER BY, and with SQL compiled once per model, same answer as the ORM."""

import gc
import threading
import uuid
import weakref

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from accounts.models import RefreshToken
from core import queries
from core.queries import exists_unset, one_or_none, row_and_exists_unset, row_by_unique
from tenants.models import Client
from tenants.user_models import _build_user_model, user_model_for
from tests.accounts.conftest import sign_up

pytestmark = pytest.mark.django_db(transaction=True)

FIELDS = ["user_id", "email", "password_hash", "custom_fields", "email_verified", "is_active", "token_generation", "mfa", "created_at", "updated_at"]


def assert_same_values(read, expected) -> None:
    for name in FIELDS:
        assert getattr(read, name) == getattr(expected, name), name
        assert type(getattr(read, name)) is type(getattr(expected, name)), name


@pytest.fixture
def user(tenant):
    return sign_up(tenant, custom_fields={"plan": "pro", "seats": 3, "tags": ["a", "é"]})


def test_a_row_read_by_primary_key_has_every_field_the_orm_gives(user):
    """Same values and types (UUID, JSON, booleans, aware datetimes) as a filter through the ORM."""
    model = user_model_for(user.tenant.client.client_id)
    read = row_by_unique(model, "user_id", uuid.UUID(user.user_id))
    through_orm = model.objects.get(pk=user.user_id)
    assert_same_values(read, through_orm)
    assert read.custom_fields == {"plan": "pro", "seats": 3, "tags": ["a", "é"]}
    assert not read._state.adding and read._state.db == through_orm._state.db


def test_a_read_row_saves_like_any_loaded_row(user):
    """The instance is a loaded row: saving updates it, never inserts a second one."""
    model = user_model_for(user.tenant.client.client_id)
    read = row_by_unique(model, "user_id", user.user_id)
    read.custom_fields = {"plan": "team"}
    read.save(update_fields=["custom_fields"])
    assert model.objects.count() == 1 and model.objects.get(pk=user.user_id).custom_fields == {"plan": "team"}


def test_a_missing_row_is_none(user):
    """An id no row has: None, on the first call and on the compiled second."""
    model = user_model_for(user.tenant.client.client_id)
    assert row_by_unique(model, "user_id", uuid.uuid4()) is None
    assert row_by_unique(model, "user_id", uuid.uuid4()) is None
    assert row_by_unique(model, "user_id", user.user_id) is not None


def test_a_column_unique_by_a_constraint_of_its_own_reads_like_the_orm(user):
    """A users table's email is unique by a UniqueConstraint, not the field: read by it, the ORM's row."""
    model = user_model_for(user.tenant.client.client_id)
    assert not model._meta.get_field("email").unique
    assert_same_values(row_by_unique(model, "email", user.email), model.objects.get(email=user.email))
    assert row_by_unique(model, "email", "nobody@example.com") is None


def test_each_client_reads_only_its_own_table(user, other_tenant):
    """The SQL is kept per model: a user of one client is not found through another's model."""
    mine, theirs = user_model_for(user.tenant.client.client_id), user_model_for(other_tenant.client.client_id)
    assert row_by_unique(mine, "user_id", user.user_id) is not None
    assert row_by_unique(theirs, "user_id", user.user_id) is None


@pytest.mark.parametrize("read", [row_by_unique, lambda *lookup: read_with_session(*lookup, uuid.uuid4())], ids=["row", "row-and-exists"])
def test_a_column_that_is_not_unique_is_refused(tenant, read):
    """LIMIT 1 over a column several rows may share would pick one at random."""
    with pytest.raises(ValueError, match="not unique"):
        read(Client, "industry", "SaaS")


def test_reading_sends_one_query_without_ordering(user):
    """One query per read and no ordering (SQL's ORDER BY, MongoDB's $sort), for row_by_unique and one_or_none."""
    model = user_model_for(user.tenant.client.client_id)
    with CaptureQueriesContext(connection) as captured:
        row_by_unique(model, "user_id", user.user_id)
        one_or_none(model.objects.filter(email=user.email))
    sent = [query["sql"] for query in captured.captured_queries]
    assert len(sent) == 2, sent
    assert not any("ORDER BY" in text or "$sort" in text for text in sent), sent


def test_exists_unset_answers_as_the_orms_exists_with_one_query_each_time(user, other_tenant):
    """A live family, a revoked one, an unknown one: the ORM's answer, on the first call and on the compiled second."""
    sign_up(other_tenant)
    RefreshToken.objects.filter(client=other_tenant.client).update(revoked_at=other_tenant.client.created_at)
    live, revoked = (RefreshToken.objects.get(client=t.client).family_id for t in (user.tenant, other_tenant))
    families = [live, revoked, uuid.uuid4()]
    expected = [RefreshToken.objects.filter(family_id=family, revoked_at__isnull=True).exists() for family in families]
    assert expected == [True, False, False]
    with CaptureQueriesContext(connection) as captured:
        for _ in range(2):
            assert [exists_unset(RefreshToken, "family_id", family, "revoked_at") for family in families] == expected
    assert len(captured.captured_queries) == 6


def test_the_compiled_sql_goes_with_a_model_class_no_longer_used(tenant):
    """Kept on the class (SQL stores only), so a per-client model the model cache drops is freed with its SQL."""
    model = _build_user_model(tenant.client.client_id)
    row_by_unique(model, "user_id", uuid.uuid4())
    read_with_session(model, "user_id", uuid.uuid4(), uuid.uuid4())
    assert bool(queries.compiled_selects(model)) == (connection.vendor in queries.SQL_VENDORS)
    gone = weakref.ref(model)
    del model
    gc.collect()
    assert gone() is None


# --- a row and an EXISTS on another table, in one statement ----------------------------------

SQL_STORE = connection.vendor in queries.SQL_VENDORS


def read_with_session(model, field_name, value, family_id):
    """The row and whether the refresh-token family `family_id` has a live row (the token verify's question)."""
    return row_and_exists_unset(
        model, field_name, value, other=RefreshToken, other_field="family_id", other_value=family_id, unset="revoked_at"
    )


def family_of(user, state: str) -> uuid.UUID:
    """The user's family, left live or revoked, or a family no row has."""
    row = RefreshToken.objects.get(client=user.tenant.client)
    if state == "revoked":
        RefreshToken.objects.filter(pk=row.pk).update(revoked_at=row.created_at)
    return uuid.uuid4() if state == "unknown" else row.family_id


@pytest.mark.parametrize("state", ["live", "revoked", "unknown"])
def test_a_row_with_an_exists_is_the_orms_row_and_the_orms_exists(user, state):
    """Same values and types as the ORM's row, and the ORM's `.exists()`, on the first call and on the compiled second."""
    model = user_model_for(user.tenant.client.client_id)
    family_id = family_of(user, state)
    expected = RefreshToken.objects.filter(family_id=family_id, revoked_at__isnull=True).exists()
    assert expected is (state == "live")
    through_orm = model.objects.get(pk=user.user_id)
    for _ in range(2):
        read, exists = read_with_session(model, "user_id", user.user_id, family_id)
        assert exists is expected
        assert_same_values(read, through_orm)
        assert not read._state.adding and read._state.db == through_orm._state.db


def test_the_row_and_the_exists_are_one_statement_compiled_once_on_sql_stores(user):
    """SQLite and PostgreSQL: one statement per read, compiled on the first and kept on the model class; MongoDB reads twice."""
    model = user_model_for(user.tenant.client.client_id)
    family_id = family_of(user, "live")
    with CaptureQueriesContext(connection) as captured:
        assert read_with_session(model, "user_id", user.user_id, family_id)[1] is True
        kept = dict(queries.compiled_selects(model))
        assert read_with_session(model, "user_id", user.user_id, uuid.uuid4())[1] is False
    sent = [query["sql"] for query in captured.captured_queries]
    assert len(sent) == (2 if SQL_STORE else 4), sent
    if SQL_STORE:
        assert all("EXISTS" in text and "ORDER BY" not in text for text in sent), sent
        assert len(kept) == 1 and all(queries.compiled_selects(model)[key] is select for key, select in kept.items())


def test_a_missing_row_is_none_and_no_exists_whatever_the_family(user):
    """No row: (None, False), with a live family too, in one statement on every store (the family is not asked)."""
    model = user_model_for(user.tenant.client.client_id)
    family_id = family_of(user, "live")
    with CaptureQueriesContext(connection) as captured:
        for _ in range(2):
            assert read_with_session(model, "user_id", uuid.uuid4(), family_id) == (None, False)
    assert len(captured.captured_queries) == 2


def test_a_value_shared_by_the_row_and_the_exists_is_answered_right_and_not_kept(user):
    """Equal values leave no telling which parameter is which: that call runs as compiled, and the next distinct one is kept."""
    model = user_model_for(user.tenant.client.client_id)
    queries._COMPILED_BY_SHAPE.clear()  # compiled by this call, not taken from another client's class
    RefreshToken.objects.filter(client=user.tenant.client).update(family_id=user.user_id)
    read, exists = read_with_session(model, "user_id", user.user_id, user.user_id)
    assert str(read.user_id) == user.user_id and exists is True
    assert queries.compiled_selects(model) == {}
    assert read_with_session(model, "user_id", user.user_id, uuid.uuid4())[1] is False
    assert len(queries.compiled_selects(model)) == (1 if SQL_STORE else 0)


def test_a_statement_compiled_in_one_thread_reads_right_in_another(user):
    """Kept statements and their converters serve every thread (gunicorn's gthread), each on its own connection."""
    model = user_model_for(user.tenant.client.client_id)
    family_id = family_of(user, "live")

    def read() -> list:
        return [*read_with_session(model, "user_id", user.user_id, family_id), row_by_unique(model, "user_id", user.user_id)]

    here, there = read(), []

    def read_there() -> None:
        try:
            there.extend(read())
        finally:
            connections.close_all()

    thread = threading.Thread(target=read_there)
    thread.start()
    thread.join(timeout=30)
    assert here[1] is there[1] is True
    assert_same_values(there[0], here[0])
    assert_same_values(there[2], here[2])


@pytest.fixture
def elsewhere(transactional_db):
    """A second alias on the same database: another connection, as AUTHSVC_TENANT_DATABASE gives users.
    Made like Django's own connection copies (not in DATABASES, so the test case's alias guard lets it be)."""
    connections["elsewhere"] = connections["default"].copy(alias="elsewhere")
    yield "elsewhere"
    connections["elsewhere"].close()
    del connections["elsewhere"]


def test_tables_on_different_connections_take_the_two_reads(user, elsewhere):
    """Users on another alias than the tokens: the user read there, the EXISTS on default, the same answers."""
    model = _build_user_model(user.tenant.client.client_id, elsewhere)
    family_id = family_of(user, "live")
    with CaptureQueriesContext(connections[elsewhere]) as on_users, CaptureQueriesContext(connection) as on_tokens:
        read, exists = read_with_session(model, "user_id", user.user_id, family_id)
    assert str(read.user_id) == user.user_id and read._state.db == elsewhere and exists is True
    assert (len(on_users.captured_queries), len(on_tokens.captured_queries)) == (1, 1)


# --- one compile serves every class of the same shape -------------------------------------------


def test_a_new_class_takes_the_statement_of_a_live_class_of_the_same_shape(user, other_tenant):
    """Another client's class gets the statement with its own table, without the ORM compiling it
    again, and reads its own rows; the class it came from is still freed when dropped."""
    other = sign_up(other_tenant)
    family_id = family_of(user, "live")
    first = _build_user_model(user.tenant.client.client_id)
    assert read_with_session(first, "user_id", user.user_id, family_id)[0] is not None
    assert row_by_unique(first, "user_id", user.user_id) is not None
    second = _build_user_model(other_tenant.client.client_id)
    compiled = []
    original = queries._compile_select_with_exists, queries._compile_select
    queries._compile_select_with_exists = lambda *a: compiled.append(a) or original[0](*a)
    queries._compile_select = lambda *a: compiled.append(a) or original[1](*a)
    try:
        theirs, live = read_with_session(second, "user_id", other.user_id, family_id)
        by_id = row_by_unique(second, "user_id", other.user_id)
        assert read_with_session(second, "user_id", user.user_id, family_id) == (None, False)
    finally:
        queries._compile_select_with_exists, queries._compile_select = original
    assert str(theirs.user_id) == other.user_id and live is True and str(by_id.user_id) == other.user_id
    assert type(theirs) is second and type(by_id) is second
    assert_same_values(theirs, second.objects.get(pk=other.user_id))
    assert compiled == []
    kept = queries.compiled_selects(second).values()
    assert len(kept) == (2 if SQL_STORE else 0)
    assert all(second._meta.db_table in getattr(select, "select", select).sql for select in kept)
    assert not any(first._meta.db_table in getattr(select, "select", select).sql for select in kept)
    gone = weakref.ref(first)
    del first
    gc.collect()
    assert gone() is None
