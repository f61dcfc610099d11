"""Staff admin for the audit trail: a read-only list with filters and exact search."""

import uuid
from datetime import UTC, datetime

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AuditLog
from tests.accounts.conftest import call, sign_up
from tests.audit.conftest import write_record
from tests.conftest import make_tenant

pytestmark = pytest.mark.django_db(transaction=True)

CHANGELIST = "/admin/audit/auditlog/"
LONG_AGO = datetime(2023, 6, 1, 12, 0, tzinfo=UTC)
USER = uuid.uuid4()


def listed(response) -> set[uuid.UUID]:
    assert response.status_code == 200
    return {record.audit_id for record in response.context["cl"].result_list}


@pytest.fixture
def trail(transactional_db) -> dict[str, AuditLog]:
    """Records of two clients: different actions, outcomes, users, addresses and years."""
    acme, globex = make_tenant("Acme"), make_tenant("Globex", "E-commerce")
    now = timezone.now()
    return {
        "acme_login": write_record(client_id=acme.client_id, timestamp=now, user_id=USER, ip_address="203.0.113.7"),
        "acme_failed": write_record(client_id=acme.client_id, timestamp=now, status="failed", ip_address="198.51.100.9"),
        "acme_old_signup": write_record(client_id=acme.client_id, timestamp=LONG_AGO, action="signup", user_id=USER),
        "globex_logout": write_record(client_id=globex.client_id, timestamp=now, action="logout", ip_address="203.0.113.70"),
        **{
            f"{name}_registered": AuditLog.objects.get(client_id=tenant.client_id, action="client_register")
            for name, tenant in (("acme", acme), ("globex", globex))
        },
    }


def ids(trail: dict[str, AuditLog], *labels: str) -> set[uuid.UUID]:
    return {trail[label].audit_id for label in labels}


def test_the_list_shows_every_record_with_its_columns(staff_browser, trail):
    """A superuser sees every record, with time, action, outcome, client, user, actor and origin but not metadata."""
    response = staff_browser.get(CHANGELIST)
    assert listed(response) == ids(trail, *trail)
    page = response.content.decode()
    for column in ("when", "action", "outcome", "client", "user", "actor", "origin"):
        assert f"column-{column}" in page
    assert "column-metadata" not in page


def row_of(page: str, record: AuditLog) -> str:
    """The HTML of the list's row for `record` (the row links to the record's page)."""
    start = page.index(f"/admin/audit/auditlog/{record.pk}/change/")
    return page[page.rindex("<tr", 0, start) : page.index("</tr>", start)]


@pytest.fixture
def named_trail(transactional_db) -> dict[str, AuditLog]:
    """Records naming a live user, a deleted user, and a user of a deleted client."""
    acme, doomed = make_tenant("Acme"), make_tenant("Doomed Co")
    ada = sign_up(acme, "ada@example.com")
    gone = sign_up(acme, "gone@example.com")
    doomed_user = sign_up(doomed, "lost@example.com")
    doomed_id = doomed.client_id  # the row forgets its id once deleted
    call(acme, f"users/{gone.user_id}", method="DELETE")
    delete_client(doomed)
    now = timezone.now().replace(microsecond=0)
    return {
        "live_user": write_record(client_id=acme.client_id, timestamp=now, user_id=uuid.UUID(ada.user_id)),
        "deleted_user": write_record(client_id=acme.client_id, timestamp=now, user_id=uuid.UUID(gone.user_id)),
        "deleted_client": write_record(client_id=doomed_id, timestamp=now, user_id=uuid.UUID(doomed_user.user_id)),
        "no_one": write_record(client_id=None, timestamp=now, action="admin_login", status="failed"),
    }


def delete_client(tenant) -> None:
    from tenants.services import client_delete

    client_delete(client=tenant.client, confirm=True)


@pytest.mark.parametrize(
    ("label", "client_shown", "user_shown"),
    [
        ("live_user", "Acme", "ada@example.com"),
        ("deleted_user", "Acme", "(deleted)"),
        ("deleted_client", "(deleted)", "(deleted)"),
        ("no_one", "-", "-"),
    ],
    ids=["live", "user-deleted", "client-deleted", "none"],
)
def test_the_list_names_clients_and_users_beside_their_ids(staff_browser, named_trail, label, client_shown, user_shown):
    """Each row shows the client's name and the user's email over their ids, and "(deleted)" for those gone."""
    record = named_trail[label]
    row = row_of(staff_browser.get(CHANGELIST).content.decode(), record)
    client_cell = row[row.index('class="field-client"') :]
    user_cell = row[row.index('class="field-user"') :]
    assert client_cell.split(">", 1)[1].startswith(client_shown)
    assert user_cell.split(">", 1)[1].startswith(user_shown)
    for identifier in filter(None, (record.client_id, record.user_id)):
        assert f'<span class="audit-id">{identifier}</span>' in row


def test_a_row_shows_the_reason_under_the_status_and_the_agents_start_under_the_address(staff_browser, transactional_db):
    """A failure's reason sits under its status; a long agent is cut to its start, whole in the cell's title."""
    agent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36"
    record = write_record(client_id=None, timestamp=timezone.now(), status="failed", ip_address="2001:db8::1")
    AuditLog.objects.filter(pk=record.pk).update(user_agent=agent)
    row = row_of(staff_browser.get(CHANGELIST).content.decode(), record)
    assert 'failed<span class="audit-detail">invalid_credentials</span>' in row
    assert f'2001:db8::1<span class="audit-detail" title="{agent}">Mozilla/5.0 (X11; Linux x86_64)…</span>' in row


def test_times_are_shown_to_the_second(staff_browser, transactional_db):
    """The list and a record's page show its time with seconds, the column naming the time zone."""
    record = write_record(client_id=None, timestamp=datetime(2024, 2, 29, 13, 4, 5, tzinfo=UTC), action="admin_login")
    page = staff_browser.get(CHANGELIST).content.decode()
    assert ">2024-02-29 13:04:05</a>" in row_of(page, record)  # the row's link to the record
    assert ">Time (UTC)</" in page
    assert "2024-02-29 13:04:05" in staff_browser.get(f"{CHANGELIST}{record.pk}/change/").content.decode()


def test_a_record_page_names_its_client_and_user(staff_browser, named_trail):
    """A record opened alone shows its client's name and its user's email too."""
    page = staff_browser.get(f"{CHANGELIST}{named_trail['live_user'].pk}/change/").content.decode()
    assert "Acme" in page and "ada@example.com" in page


def queries_of_a_list_page(browser, count: int, tenants) -> int:
    """How many queries the list's first page takes with `count` records, spread over `tenants`' users."""
    AuditLog.objects.all().delete()
    now = timezone.now()
    for index in range(count):
        tenant, user_id = tenants[index % len(tenants)]
        write_record(client_id=tenant.client_id, timestamp=now, user_id=user_id)
    with CaptureQueriesContext(connections["default"]) as queries:
        response = browser.get(CHANGELIST)
    assert len(response.context["cl"].result_list) == count
    assert "ada@example.com" in response.content.decode()
    return len(queries)


def test_the_list_takes_as_many_queries_for_50_rows_as_for_5(staff_browser, transactional_db):
    """Names and emails are fetched once per page (one query per client), not once per row."""
    tenants = [(tenant, uuid.UUID(sign_up(tenant, "ada@example.com").user_id)) for tenant in (make_tenant("Acme"), make_tenant("Globex"))]
    assert queries_of_a_list_page(staff_browser, 50, tenants) == queries_of_a_list_page(staff_browser, 5, tenants)


def test_a_record_opens_read_only(staff_browser, trail):
    """The detail page shows the record, metadata included, with no form to save."""
    response = staff_browser.get(f"{CHANGELIST}{trail['acme_login'].pk}/change/")
    assert response.status_code == 200
    assert response.context["has_change_permission"] is False
    assert 'name="_save"' not in response.content.decode()


def test_no_delete_action_is_offered(staff_browser, trail):
    """The bulk delete action is not offered, since nothing may delete records here."""
    response = staff_browser.get(CHANGELIST)
    assert "delete_selected" not in response.content.decode()


@pytest.mark.parametrize(
    ("method", "page", "body"),
    [
        ("get", "add/", None),
        ("post", "add/", {"action": "login", "status": "success"}),
        ("post", "{pk}/change/", {"action": "forged", "status": "success"}),
        ("get", "{pk}/delete/", None),
        ("post", "{pk}/delete/", {"post": "yes"}),
    ],
    ids=["add-page", "add", "change", "delete-page", "delete"],
)
def test_adding_changing_and_deleting_are_forbidden_even_to_superusers(staff_browser, trail, method, page, body):
    """Every write page answers 403 to a superuser, and the trail stays as it was."""
    before = {record.pk: (record.action, record.status) for record in AuditLog.objects.all()}
    url = CHANGELIST + page.format(pk=trail["acme_login"].pk)
    response = getattr(staff_browser, method)(url, body) if body else getattr(staff_browser, method)(url)
    assert response.status_code == 403
    assert {record.pk: (record.action, record.status) for record in AuditLog.objects.all()} == before


def test_the_client_filter_lists_clients_by_name(staff_browser, trail):
    """The client filter offers each client by its name."""
    page = staff_browser.get(CHANGELIST).content.decode()
    for client_id, name in ((trail["acme_login"].client_id, "Acme"), (trail["globex_logout"].client_id, "Globex")):
        assert f"?client_id={client_id}" in page
        assert name in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("client_id={acme}", {"acme_login", "acme_failed", "acme_old_signup", "acme_registered"}),
        ("client_id=not-a-uuid", set()),
        ("action__exact=logout", {"globex_logout"}),
        ("status__exact=failed", {"acme_failed"}),
        ("timestamp__year=2023", {"acme_old_signup"}),
        ("timestamp__year=2023&timestamp__month=6&timestamp__day=1", {"acme_old_signup"}),
    ],
    ids=["client", "client-garbage", "action", "status", "year", "day"],
)
def test_filters_narrow_the_list(staff_browser, trail, query, expected):
    """Client, action, status and the date hierarchy each narrow the list."""
    url = f"{CHANGELIST}?{query.format(acme=trail['acme_login'].client_id)}"
    assert listed(staff_browser.get(url)) == ids(trail, *expected)


def test_the_date_hierarchy_offers_the_years_of_the_records(staff_browser, trail):
    """The date drill-down links to each year that has records."""
    page = staff_browser.get(CHANGELIST).content.decode()
    assert "?timestamp__year=2023" in page
    assert f"?timestamp__year={timezone.now().year}" in page


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        (str(USER), {"acme_login", "acme_old_signup"}),
        ("{globex}", {"globex_logout", "globex_registered"}),
        ("203.0.113.7", {"acme_login"}),  # not 203.0.113.70
        (" 198.51.100.9 ", {"acme_failed"}),
        ("203.0.113", set()),
        (str(USER)[:8], set()),
    ],
    ids=["user_id", "client_id", "ip", "ip-with-spaces", "partial-ip", "partial-user_id"],
)
def test_search_matches_whole_ids_and_addresses(staff_browser, trail, term, expected):
    """Search finds a whole user_id, client_id or IP address; fragments match nothing."""
    search = term.format(globex=trail["globex_logout"].client_id)
    assert listed(staff_browser.get(CHANGELIST, {"q": search})) == ids(trail, *expected)
