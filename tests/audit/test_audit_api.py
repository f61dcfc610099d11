"""GET /api/v1/<client_id>/audit: a client's own records, newest first, filtered and paged."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from audit.models import AuditLog
from tests.accounts.conftest import PASSWORD, call, sign_up
from tests.audit.conftest import write_record
from tests.conftest import Tenant

pytestmark = pytest.mark.django_db(transaction=True)

U1, U2 = uuid.uuid4(), uuid.uuid4()


def audit_page(tenant: Tenant, **query) -> dict:
    response = APIClient().get(tenant.url("audit"), query, **tenant.auth)
    assert response.status_code == 200, response.content
    return response.json()


def listed_ids(tenant: Tenant, **query) -> list[str]:
    return [record["audit_id"] for record in audit_page(tenant, **query)["results"]]


def walk_pages(tenant: Tenant, limit: int) -> list[list[str]]:
    """Every page, following `next` until it is null."""
    pages, cursor = [], None
    while True:
        page = audit_page(tenant, limit=limit, **({"cursor": cursor} if cursor else {}))
        pages.append([record["audit_id"] for record in page["results"]])
        cursor = page["next"]
        if cursor is None:
            return pages


@pytest.fixture
def timeline(tenant, other_tenant) -> dict[str, str]:
    """Four records of `tenant` an hour apart, ten days ago, plus its registration (now) and a record of another client."""
    base = timezone.now().replace(microsecond=0) - timedelta(days=10)
    rows = {
        "signup": write_record(client_id=tenant.client_id, timestamp=base, action="signup", user_id=U1),
        "login_failed": write_record(
            client_id=tenant.client_id, timestamp=base + timedelta(hours=1), status="failed", user_id=U1
        ),
        "login_ok": write_record(client_id=tenant.client_id, timestamp=base + timedelta(hours=2), user_id=U2),
        "logout": write_record(client_id=tenant.client_id, timestamp=base + timedelta(hours=3), action="logout", user_id=U2),
        "other_client": write_record(client_id=other_tenant.client_id, timestamp=base + timedelta(hours=2), user_id=U2),
        "registered": AuditLog.objects.get(client_id=tenant.client.client_id, action="client_register"),
    }
    labels = {label: str(record.audit_id) for label, record in rows.items()}
    labels["since"] = (base + timedelta(minutes=90)).isoformat()
    return labels


def test_a_client_sees_only_its_own_records(tenant, other_tenant):
    """Records made by B's requests never show in A's list, and the other way round."""
    for owner in (tenant, other_tenant):
        sign_up(owner)
        call(owner, "login", {"email": "nobody@example.com", "password": PASSWORD})
    for owner, stranger in ((tenant, other_tenant), (other_tenant, tenant)):
        records = audit_page(owner)["results"]
        assert {record["action"] for record in records} == {"client_register", "signup", "login"}
        assert {record["client_id"] for record in records} == {owner.client_id}
        assert not set(listed_ids(owner)) & set(listed_ids(stranger))


def test_the_key_of_another_client_cannot_read_its_records(tenant, other_tenant):
    """A's key on B's audit path is refused with 403 and shows nothing of B."""
    response = APIClient().get(other_tenant.url("audit"), **tenant.auth)
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"
    assert other_tenant.client_id not in response.content.decode()


def test_records_come_newest_first(tenant, timeline):
    """The list is ordered by timestamp, newest first."""
    expected = [timeline[label] for label in ("registered", "logout", "login_ok", "login_failed", "signup")]
    assert listed_ids(tenant) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"action": "login"}, {"login_failed", "login_ok"}),
        ({"status": "failed"}, {"login_failed"}),
        ({"user_id": str(U1)}, {"signup", "login_failed"}),
        ({"since": "since"}, {"login_ok", "logout", "registered"}),
        ({"action": "login", "status": "success"}, {"login_ok"}),
        ({"action": "password_reset"}, set()),
    ],
    ids=["action", "status", "user_id", "since", "action-and-status", "no-match"],
)
def test_filters_narrow_the_list(tenant, timeline, query, expected):
    """action, status, user_id and since each narrow the client's records, and combine."""
    resolved = {name: timeline.get(value, value) for name, value in query.items()}
    assert set(listed_ids(tenant, **resolved)) == {timeline[label] for label in expected}


def test_cursor_pages_cover_every_record_once_even_with_equal_timestamps(tenant):
    """Paging with `next` returns every record exactly once, in order, across identical timestamps."""
    moment = timezone.now().replace(microsecond=0) - timedelta(days=1)
    for offset in (0, 0, 0, 0, 1, 2):  # four records share one timestamp
        write_record(client_id=tenant.client_id, timestamp=moment + timedelta(seconds=offset))
    everything = listed_ids(tenant, limit=200)

    pages = walk_pages(tenant, limit=2)

    assert [len(page) for page in pages] == [2, 2, 2, 1]
    assert [audit_id for page in pages for audit_id in page] == everything
    assert len(set(everything)) == 7


@pytest.mark.parametrize(
    "query",
    [
        {"cursor": "not a cursor!"},
        {"cursor": "WzEsIDJd"},  # base64 of [1, 2]: decodes, but is no (timestamp, id) pair
        {"status": "maybe"},
        {"since": "last tuesday"},
        {"user_id": "not-a-uuid"},
        {"limit": "0"},
        # Given empty, a parameter is malformed, not left out (the schema says uuid, minLength 1).
        {"user_id": ""},
        {"action": ""},
        {"status": ""},
        {"since": ""},
        {"cursor": ""},
        {"limit": ""},
    ],
    ids=[
        "cursor-garbage",
        "cursor-wrong-shape",
        "status",
        "since",
        "user_id",
        "limit",
        "empty-user_id",
        "empty-action",
        "empty-status",
        "empty-since",
        "empty-cursor",
        "empty-limit",
    ],
)
def test_bad_query_parameters_answer_400(tenant, query):
    """A query the API cannot honour is 400 invalid_request naming the parameter, never a 500."""
    response = APIClient().get(tenant.url("audit"), query, **tenant.auth)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_request"
    assert set(body["fields"]) == set(query)


def test_the_audit_list_needs_an_access_key(tenant):
    """Without a key the list is refused with 401 and a Bearer challenge."""
    response = APIClient().get(tenant.url("audit"))
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"
    assert response["WWW-Authenticate"].startswith("Bearer")
