"""Revoking one access key from the client's admin page: a Revoke link per live key, a confirmation
page, then the service. Through Django's test client."""

import re

import pytest
from django.test import Client as BrowserClient

from tenants.models import AccessKey, Client
from tenants.services import access_key_revoke, access_key_rotate
from tests.accounts.test_admin import PERMISSION_JOIN_DIFFERENCE, staff_browser
from tests.audit.conftest import records_written_by
from tests.tenants.test_admin import api_status, change_url

pytestmark = pytest.mark.django_db(transaction=True)


def key_id_of(access_key: str) -> str:
    return access_key.split(".")[0].removeprefix("ak_")


def revoke_url(client: Client, key_id: str) -> str:
    return f"/admin/tenants/client/{client.pk}/access-keys/{key_id}/revoke/"


def revoke_links(page: str) -> list[str]:
    return re.findall(r'<a class="button revoke-access-key" href="([^"]+)">', page)


@pytest.fixture
def second_key(tenant) -> str:
    return access_key_rotate(client=tenant.client)


def test_change_page_has_a_revoke_link_for_each_live_key_only(staff_client, tenant, second_key):
    """Each live key's row links to its revoke page; a revoked key's row has none."""
    access_key_revoke(client=tenant.client, key_id=key_id_of(tenant.access_key))

    page = staff_client.get(change_url(tenant.client)).content.decode()

    assert revoke_links(page) == [revoke_url(tenant.client, key_id_of(second_key))]


def test_revoke_page_asks_first_and_changes_nothing(staff_client, tenant, second_key):
    """Opening the link names the key and what revoking does; the key still works."""
    response = staff_client.get(revoke_url(tenant.client, key_id_of(tenant.access_key)))

    page = response.content.decode()
    assert response.status_code == 200
    assert key_id_of(tenant.access_key) in page and "answer 401" in page
    assert "other live key keeps working" in page
    assert api_status(tenant.client_id, tenant.access_key) == 200


def test_revoke_page_warns_when_the_key_is_the_clients_last(staff_client, tenant):
    """Revoking the only live key would lock the client's backend out: the page says so."""
    page = staff_client.get(revoke_url(tenant.client, key_id_of(tenant.access_key))).content.decode()

    assert "only live key" in page


def test_confirming_revokes_that_key_only_and_records_it_once(staff_client, tenant, second_key):
    """The POST revokes the key through the service (401), the other key still works (200), one audit record."""
    key_id = key_id_of(tenant.access_key)

    response, records = records_written_by(lambda: staff_client.post(revoke_url(tenant.client, key_id), follow=True))

    assert response.redirect_chain[-1][0] == change_url(tenant.client)
    assert f"Revoked access key {key_id} of Acme" in response.content.decode()
    assert [api_status(tenant.client_id, key) for key in (tenant.access_key, second_key)] == [401, 200]
    assert [(record.action, record.status, record.metadata["key_id"], record.client_id) for record in records] == [
        ("access_key_revoke", "success", key_id, tenant.client.client_id)
    ]


def test_an_already_revoked_key_goes_back_to_the_client_without_a_record(staff_client, tenant, second_key):
    """A second POST (a reloaded page) says the key was already revoked and records nothing."""
    url = revoke_url(tenant.client, key_id_of(tenant.access_key))
    staff_client.post(url)

    response, records = records_written_by(lambda: staff_client.post(url, follow=True))

    assert "was already revoked" in response.content.decode()
    assert records == []


def test_another_clients_key_cannot_be_revoked_through_this_client(staff_client, tenant, other_tenant):
    """A key id of another client under this client's page is a 404, and that key keeps working."""
    response = staff_client.post(revoke_url(tenant.client, key_id_of(other_tenant.access_key)))

    assert response.status_code == 404
    assert api_status(other_tenant.client_id, other_tenant.access_key) == 200


def test_revoking_needs_a_csrf_token(admin_user, tenant):
    """The page opens, but a forged cross-site POST to it (no CSRF token) is refused and the key keeps working."""
    browser = BrowserClient(enforce_csrf_checks=True)
    browser.force_login(admin_user)
    url = revoke_url(tenant.client, key_id_of(tenant.access_key))

    assert browser.get(url).status_code == 200
    assert browser.post(url).status_code == 403
    assert api_status(tenant.client_id, tenant.access_key) == 200


@pytest.mark.secantus_difference(reason=PERMISSION_JOIN_DIFFERENCE)
def test_staff_who_may_only_view_clients_get_no_link_and_cannot_revoke(django_user_model, tenant):
    """With view permissions alone the keys show without links, and the revoke page is 403."""
    viewer = staff_browser(django_user_model, (Client, "view"), (AccessKey, "view"))

    page = viewer.get(change_url(tenant.client))
    refused = viewer.post(revoke_url(tenant.client, key_id_of(tenant.access_key)))

    assert page.status_code == 200 and key_id_of(tenant.access_key) in page.content.decode()
    assert revoke_links(page.content.decode()) == []
    assert refused.status_code == 403
    assert AccessKey.objects.get(key_id=key_id_of(tenant.access_key)).revoked_at is None
