"""core.inserts: a new row written as the ORM's save(force_insert=True) writes it, compiled once on SQL stores."""

import ipaddress
import uuid
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models.signals import post_save
from django.utils import timezone

from accounts.models import MfaChallenge, RefreshToken
from audit.models import AuditLog
from core import inserts
from core.inserts import row_insert
from core.queries import SQL_VENDORS

pytestmark = pytest.mark.django_db(transaction=True)


def audit_row(tenant) -> AuditLog:
    return AuditLog(
        client_id=tenant.client.client_id, user_id=None, action="login", status="success", reason="",
        ip_address=str(ipaddress.ip_address("2001:db8::1")), user_agent="agent é", metadata={"methods": ["totp"], "n": 3, "none": None},
    )


def token_row(tenant) -> RefreshToken:
    return RefreshToken(
        token_id=uuid.uuid4(), client=tenant.client, user_id=uuid.uuid4(), token_hash="h" * 64, family_id=uuid.uuid4(),
        expires_at=timezone.now() + timedelta(days=30),
    )


def challenge_row(tenant) -> MfaChallenge:
    return MfaChallenge(
        challenge_id=uuid.uuid4(), client=tenant.client, user_id=uuid.uuid4(), token_hash="h" * 64, purpose="verify",
        token_generation=2, expires_at=timezone.now() + timedelta(seconds=300),
    )


ROWS = [audit_row, token_row, challenge_row]


def values(row) -> dict:
    return {field.attname: getattr(row, field.attname) for field in type(row)._meta.concrete_fields if not field.primary_key}


@pytest.mark.parametrize("make", ROWS, ids=lambda make: make.__name__)
def test_an_inserted_row_reads_back_as_its_twin_saved_through_the_orm(tenant, make):
    """Every column (UUIDs, JSON, an IP, None, aware datetimes) reads back with the values and types of the ORM's twin."""
    ours, twin = make(tenant), make(tenant)
    for field in type(twin)._meta.concrete_fields:  # the same values but the primary key
        if not field.primary_key:
            setattr(twin, field.attname, getattr(ours, field.attname))
    row_insert(ours)
    twin.save(force_insert=True)

    model = type(ours)
    read, read_twin = model.objects.get(pk=ours.pk), model.objects.get(pk=twin.pk)
    assert values(read) == values(read_twin)  # (MongoDB keeps milliseconds: the two, not the written values)
    assert {name: type(value) for name, value in values(read).items()} == {name: type(value) for name, value in values(read_twin).items()}
    assert (ours._state.adding, ours._state.db) == (False, "default")


@pytest.mark.parametrize("make", ROWS, ids=lambda make: make.__name__)
def test_the_insert_is_compiled_once_per_model_on_sql_stores(tenant, make, monkeypatch):
    """SQLite and PostgreSQL: the first insert compiles and keeps the statement on the class; MongoDB takes the ORM's path."""
    model = type(make(tenant))
    if inserts.INSERTS_ATTRIBUTE in vars(model):
        monkeypatch.setattr(model, inserts.INSERTS_ATTRIBUTE, {})
    compiled = []
    original = inserts._compile
    monkeypatch.setattr(inserts, "_compile", lambda *a: compiled.append(a[0]) or original(*a))

    rows = [make(tenant) for _ in range(3)]
    for row in rows:
        row_insert(row)

    assert model.objects.filter(pk__in=[row.pk for row in rows]).count() == 3
    on_sql = connection.vendor in SQL_VENDORS
    assert compiled == ([model] if on_sql else [])
    assert list(vars(model).get(inserts.INSERTS_ATTRIBUTE, {})) == (["default"] if on_sql else [])


def test_a_model_with_a_save_receiver_is_saved_by_the_orm_and_the_receiver_runs(tenant):
    """A post_save receiver still hears of the row: the compiled path would not send the signal."""
    heard = []

    def receiver(sender, instance, created, **kwargs):
        heard.append((instance.pk, created))

    post_save.connect(receiver, sender=AuditLog)
    try:
        row = audit_row(tenant)
        row_insert(row)
    finally:
        post_save.disconnect(receiver, sender=AuditLog)
    assert heard == [(row.pk, True)]
    assert AuditLog.objects.filter(pk=row.pk).exists()


def test_a_taken_primary_key_is_the_orms_integrity_error_and_spoils_the_atomic_block(tenant):
    """The same IntegrityError as the ORM's; inside atomic() the block is marked for rollback, as save() marks it."""
    row = token_row(tenant)
    row_insert(row)
    again = token_row(tenant)
    again.token_id = row.token_id
    with pytest.raises(IntegrityError):
        row_insert(again)
    if connection.vendor not in SQL_VENDORS:
        return  # atomic() is a no-op on django-mongodb-backend
    with transaction.atomic():
        with pytest.raises(IntegrityError):
            row_insert(again)
        assert connection.needs_rollback
    assert RefreshToken.objects.filter(pk=row.pk).count() == 1
