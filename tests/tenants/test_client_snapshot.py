"""The client a remembered access key carries (tenants/key_cache.py) holds every Client field:
a request's Client is whole, and reading any of its fields makes no query."""

import datetime
import decimal
import uuid

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from tenants.access_keys import KEY_PATTERN
from tenants.models import Client
from tenants.selectors import access_key_for_request
from tests.conftest import make_tenant

pytestmark = pytest.mark.django_db(transaction=True)

SCHEMA = {"type": "object", "properties": {"plan": {"type": "string"}}}
# Values that cannot change once read: a snapshot shared by worker threads may hold only these.
IMMUTABLE = (str, bytes, int, float, decimal.Decimal, uuid.UUID, datetime.date, datetime.time, datetime.timedelta, type(None))


@pytest.fixture
def tenant(transactional_db):
    """A client whose settings are all away from their defaults."""
    made = make_tenant("Acme", "AI/ML", require_email_verification=True, custom_fields_schema=SCHEMA)
    made.client.rate_limits = {"login_ip": "100/m"}
    made.client.save()
    return made


def remembered(tenant):
    """What an API call with the tenant's key gets: the key's snapshot, from the per-process memory."""
    return access_key_for_request(key_id=KEY_PATTERN.match(tenant.access_key)["key_id"])


def row_values(client: Client) -> dict:
    return {field.attname: getattr(client, field.attname) for field in Client._meta.concrete_fields}


def test_a_restored_client_has_no_deferred_field(tenant):
    """Every concrete field of Client is in the snapshot, so none is left to load on access."""
    client = remembered(tenant).client.to_client()

    assert client.get_deferred_fields() == set()


def test_every_client_field_reads_back_as_stored_without_a_query(tenant):
    """Each field of the request's Client equals the stored row's, and reading them all queries nothing."""
    stored = row_values(Client.objects.get(pk=tenant.client.pk))
    client = remembered(tenant).client.to_client()

    with CaptureQueriesContext(connections[client._state.db]) as captured:
        restored = row_values(client)

    assert restored == stored
    assert captured.captured_queries == []
    assert client._state.adding is False


def test_a_snapshot_holds_only_values_that_cannot_change(tenant):
    """Worker threads share the snapshot: each value in it is immutable (JSON settings are kept as text)."""
    snapshot = remembered(tenant).client

    values = zip(Client._meta.concrete_fields, snapshot.values, strict=True)
    mutable = {field.attname: type(value).__name__ for field, value in values if not isinstance(value, IMMUTABLE)}

    assert mutable == {}


def test_a_remembered_key_reads_no_client_row(api, tenant):
    """After the first call, GET /api/v1/{client_id}/ (every setting the client reads) touches no clients row."""
    assert api.get(tenant.url(), **tenant.auth).status_code == 200

    with CaptureQueriesContext(connections["default"]) as captured:
        response = api.get(tenant.url(), **tenant.auth)

    assert response.status_code == 200
    assert response.json()["custom_fields_schema"] == SCHEMA
    assert [query["sql"] for query in captured.captured_queries if "clients" in query["sql"]] == []
