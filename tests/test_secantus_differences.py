"""Reproductions of known differences between SecantusDB and MongoDB (README, Storage).

Each test states what Django on a real MongoDB (and on SQLite) does, and is marked
`secantus_difference`: expected to fail on SecantusDB only, strictly, so that a fixed
server turns the mark red and it can be removed.
"""

import json
import re
import uuid
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import RefreshToken
from tenants.models import AccessKey, Client
from tests.conftest import make_tenant

pytestmark = pytest.mark.django_db(transaction=True)

DIFFERENCE = (
    "SecantusDB: a lookup across a foreign key to a model with an ObjectId primary key "
    "(Permission -> ContentType) yields the key instead of the related field"
)


@pytest.fixture
def permission() -> Permission:
    content_type = ContentType.objects.get_for_model(Client)
    return Permission.objects.get_or_create(codename="view_client", content_type=content_type, defaults={"name": "Can view client"})[0]


@pytest.mark.secantus_difference(reason=DIFFERENCE)
def test_staff_user_with_a_permission_has_it(permission):
    """A non-superuser staff member granted view_client has that permission (ModelBackend joins Permission -> ContentType)."""
    from django.contrib.auth.models import User

    staff = User.objects.create_user("viewer", is_staff=True)
    staff.user_permissions.add(permission)
    staff = User.objects.get(pk=staff.pk)
    assert staff.has_perm("tenants.view_client")


@pytest.mark.secantus_difference(reason=DIFFERENCE)
def test_values_list_across_objectid_fk_reads_the_related_field(permission):
    """values_list('content_type__app_label') yields the related string field."""
    labels = list(Permission.objects.filter(pk=permission.pk).values_list("content_type__app_label", flat=True))
    assert labels == ["tenants"]


def test_select_related_across_uuid_fk_works(tenant):
    """Our own models (UUID primary keys) join correctly on every store, SecantusDB included."""
    from tenants.models import AccessKey

    key = AccessKey.objects.select_related("client").get(client=tenant.client)
    assert key.client.client_name == tenant.client.client_name


# --- query plans: differences that cost time, not correctness (bench/README.md, figure 3) ---


def _values_of(document, name: str):
    if isinstance(document, dict):
        for key, value in document.items():
            if key == name:
                yield value
            yield from _values_of(value, name)
    elif isinstance(document, list):
        for item in document:
            yield from _values_of(item, name)


def reads_one_row_by_index(queryset) -> bool:
    """True when the store answers `queryset` through an index, examining no more than one row.

    MongoDB: the most documents any stage of the executed plan examined. SQLite: no full
    table SCAN in EXPLAIN QUERY PLAN, only index SEARCHes. PostgreSQL: with sequential scans
    discouraged (its planner rightly prefers them on a table of four rows), no Seq Scan left.
    """
    if connection.vendor == "postgresql":
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            plan = queryset.explain()
        return "Seq Scan" not in plan and "Index" in plan
    plan = queryset.explain()
    if connection.vendor == "mongodb":
        return max(_values_of(json.loads(plan), "totalDocsExamined"), default=0) <= 1
    return re.search(r"\bSCAN\b", plan) is None and "SEARCH" in plan


@pytest.mark.secantus_difference(
    reason="SecantusDB runs a $lookup before the $match that follows it (MongoDB moves the $match "
    "first), so a select_related lookup by a unique field reads every row: O(clients x keys)"
)
def test_access_key_lookup_with_its_client_reads_one_key():
    """Finding a key by key_id with its client (select_related) reads one row, however many clients exist."""
    tenants = [make_tenant(f"Tenant {n}") for n in range(4)]
    key_id = AccessKey.objects.filter(client=tenants[2].client).values_list("key_id", flat=True).get()

    assert reads_one_row_by_index(AccessKey.objects.select_related("client").filter(key_id=key_id))


@pytest.mark.secantus_difference(
    reason="SecantusDB answers an $and of equalities with a collection scan even when one of "
    "them is on _id, so the refresh-token lookup slows as the tokens table grows"
)
def test_refresh_token_lookup_by_id_and_client_reads_one_row():
    """Finding a refresh token by its id and client reads one row, however many tokens exist."""
    client = make_tenant("Acme").client
    expires = timezone.now() + timedelta(days=1)
    rows = [
        RefreshToken.objects.create(
            token_id=uuid.uuid4(), client=client, user_id=uuid.uuid4(), token_hash=f"{n:064x}", family_id=uuid.uuid4(), expires_at=expires
        )
        for n in range(4)
    ]

    assert reads_one_row_by_index(RefreshToken.objects.filter(pk=rows[2].pk, client=client))
