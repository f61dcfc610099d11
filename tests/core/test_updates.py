"""core.updates: a conditional update of one row answers and writes as the ORM's filter().update(), compiled once on SQL stores."""

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import MfaChallenge, RefreshToken
from core import updates
from core.queries import SQL_VENDORS
from core.updates import row_update_if
from tenants.user_models import user_model_for
from tests.accounts.conftest import sign_up

pytestmark = pytest.mark.django_db(transaction=True)

NOW = timezone.now()


def challenge(tenant, **state) -> MfaChallenge:
    return MfaChallenge.objects.create(
        challenge_id=uuid.uuid4(), client=tenant.client, user_id=uuid.uuid4(), token_hash="h" * 64, purpose="verify",
        token_generation=1, expires_at=NOW + timedelta(seconds=300), **state,
    )


def token(tenant, **state) -> RefreshToken:
    return RefreshToken.objects.create(
        token_id=uuid.uuid4(), client=tenant.client, user_id=uuid.uuid4(), token_hash="h" * 64, family_id=uuid.uuid4(),
        expires_at=NOW + timedelta(days=30), **state,
    )


def user(tenant, **state):
    model = user_model_for(tenant.client.client_id)
    row = model.objects.get(pk=sign_up(tenant, f"{uuid.uuid4().hex[:8]}@example.com").user_id)
    model.objects.filter(pk=row.pk).update(**state)
    return model.objects.get(pk=row.pk)


@dataclass(frozen=True)
class Case:
    make: Any  # (tenant, **state) -> a saved row
    state: dict
    expected: dict
    changes: dict


CASES = {
    "attempt claimed": Case(challenge, {"attempts": 2}, {"attempts": 2, "spent_at": None}, {"attempts": 3}),
    "attempt claimed and token spent": Case(challenge, {}, {"attempts": 0, "spent_at": None}, {"attempts": 1, "spent_at": NOW}),
    "attempts moved on": Case(challenge, {"attempts": 3}, {"attempts": 2, "spent_at": None}, {"attempts": 3}),
    "token already spent": Case(challenge, {"spent_at": NOW}, {"attempts": 0, "spent_at": None}, {"attempts": 1}),
    "refresh token spent": Case(token, {}, {"replaced_by": None, "revoked_at": None}, {"replaced_by": uuid.UUID(int=7), "spent_at": NOW}),
    "refresh token revoked": Case(token, {"revoked_at": NOW}, {"replaced_by": None, "revoked_at": None}, {"replaced_by": uuid.UUID(int=7)}),
    "factors written": Case(user, {"mfa_revision": 4}, {"mfa_revision": 4},
                            {"mfa": {"totp": {"last_used_step": 9, "name": "é"}}, "mfa_revision": 5, "updated_at": NOW}),
    "factors written by another": Case(user, {"mfa_revision": 5}, {"mfa_revision": 4}, {"mfa": {}, "mfa_revision": 5}),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_a_conditional_update_answers_and_writes_as_the_orms(tenant, case):
    """The same count (1 or 0) and the same columns afterwards as the ORM's update of a twin row, on the first call and the kept second."""
    for _ in range(2):
        ours, twin = case.make(tenant, **case.state), case.make(tenant, **case.state)
        model = type(ours)
        orm_filter = {(f"{name}__isnull" if value is None else name): (True if value is None else value) for name, value in case.expected.items()}
        orm_count = model.objects.filter(pk=twin.pk, **orm_filter).update(**case.changes)

        assert row_update_if(model, ours.pk, expected=case.expected, changes=case.changes) == orm_count
        ours.refresh_from_db()
        twin.refresh_from_db()
        touched = [*case.changes, *case.expected]
        assert {name: getattr(ours, name) for name in touched} == {name: getattr(twin, name) for name in touched}


def test_the_update_is_compiled_once_per_model_and_columns_on_sql_stores(tenant, monkeypatch):
    """SQLite and PostgreSQL: one compile for each set of columns, kept on the class; MongoDB takes the ORM's path."""
    monkeypatch.setattr(MfaChallenge, updates.UPDATES_ATTRIBUTE, {}, raising=False)
    compiled = []
    original = updates._compile
    monkeypatch.setattr(updates, "_compile", lambda *a: compiled.append(tuple(a[4])) or original(*a))

    for changes in ({"attempts": 1}, {"attempts": 1}, {"attempts": 1, "spent_at": NOW}):
        row = challenge(tenant)
        assert row_update_if(MfaChallenge, row.pk, expected={"attempts": 0, "spent_at": None}, changes=changes) == 1

    on_sql = connection.vendor in SQL_VENDORS
    assert compiled == ([("attempts",), ("attempts", "spent_at")] if on_sql else [])
    assert len(vars(MfaChallenge)[updates.UPDATES_ATTRIBUTE]) == (2 if on_sql else 0)


def test_an_expression_takes_the_orms_path_and_is_not_kept(tenant, monkeypatch):
    """attempts = attempts + 1 is the database's to work out: the ORM runs it, nothing is compiled."""
    monkeypatch.setattr(MfaChallenge, updates.UPDATES_ATTRIBUTE, {}, raising=False)
    row = challenge(tenant, attempts=2)
    assert row_update_if(MfaChallenge, row.pk, expected={"spent_at": None}, changes={"attempts": F("attempts") + 1}) == 1
    row.refresh_from_db()
    assert row.attempts == 3
    assert vars(MfaChallenge)[updates.UPDATES_ATTRIBUTE] == {}


def test_a_refused_value_is_the_orms_integrity_error_and_spoils_the_atomic_block(tenant):
    """A negative count breaks the column's check: IntegrityError, and inside atomic() the block is marked for rollback."""
    if connection.vendor not in SQL_VENDORS:
        pytest.skip("MongoDB checks no column constraint, and atomic() is a no-op on django-mongodb-backend")
    row = challenge(tenant)
    with transaction.atomic():
        with pytest.raises(IntegrityError):
            row_update_if(MfaChallenge, row.pk, expected={"attempts": 0}, changes={"attempts": -1})
        assert connection.needs_rollback
    row.refresh_from_db()
    assert row.attempts == 0
