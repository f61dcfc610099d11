"""core.queries: a unique row read without ORDER BY, and with SQL compiled once per model, same answer as the ORM."""

import gc
import uuid
import weakref

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import RefreshToken
from core import queries
from core.queries import exists_unset, one_or_none, row_by_unique
from tenants.models import Client
from tenants.user_models import _build_user_model, user_model_for
from tests.accounts.conftest import sign_up

pytestmark = pytest.mark.django_db(transaction=True)

FIELDS = ["user_id", "email", "password_hash", "custom_fields", "email_verified", "is_active", "token_generation", "mfa", "created_at", "updated_at"]


@pytest.fixture
def user(tenant):
    return sign_up(tenant, custom_fields={"plan": "pro", "seats": 3, "tags": ["a", "é"]})


def test_a_row_read_by_primary_key_has_every_field_the_orm_gives(user):
    """Same values and types (UUID, JSON, booleans, aware datetimes) as a filter through the ORM."""
    model = user_model_for(user.tenant.client.client_id)
    read = row_by_unique(model, "user_id", uuid.UUID(user.user_id))
    through_orm = model.objects.get(pk=user.user_id)
    for name in FIELDS:
        assert getattr(read, name) == getattr(through_orm, name), name
        assert type(getattr(read, name)) is type(getattr(through_orm, name)), name
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


def test_each_client_reads_only_its_own_table(user, other_tenant):
    """The SQL is kept per model: a user of one client is not found through another's model."""
    mine, theirs = user_model_for(user.tenant.client.client_id), user_model_for(other_tenant.client.client_id)
    assert row_by_unique(mine, "user_id", user.user_id) is not None
    assert row_by_unique(theirs, "user_id", user.user_id) is None


def test_a_column_that_is_not_unique_is_refused(tenant):
    """LIMIT 1 over a column several rows may share would pick one at random."""
    with pytest.raises(ValueError, match="not unique"):
        row_by_unique(Client, "industry", "SaaS")


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
    assert bool(queries.compiled_selects(model)) == (connection.vendor in queries.SQL_VENDORS)
    gone = weakref.ref(model)
    del model
    gc.collect()
    assert gone() is None
