"""A client's admin page leads to its users, audit records and documentation; new keys get a copy button."""

import re

import pytest
from django.contrib.staticfiles import finders

from audit.models import AuditLog
from tenants.models import Client

pytestmark = pytest.mark.django_db(transaction=True)

CHANGELIST = "/admin/tenants/client/"
KEY = re.compile(r"ak_[0-9a-f]{16}\.[A-Za-z0-9_-]{43}")
COPY_SCRIPT = "tenants/admin/copy_key.js"


def change_page(staff_client, client: Client) -> str:
    response = staff_client.get(f"{CHANGELIST}{client.pk}/change/")
    assert response.status_code == 200
    return response.content.decode()


def object_tool_links(page: str) -> dict[str, str]:
    tools = re.search(r'<ul class="object-tools">(.*?)</ul>', page, re.DOTALL)[1]
    return {label.strip(): href.replace("&amp;", "&") for href, label in re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', tools)}


def shown_key_with_copy_button(page: str) -> str:
    """The key in its <code>, with the button that copies that element; fails unless both are there."""
    match = re.search(
        r'<code id="(?P<id>access-key-[^"]+)" class="access-key">(?P<key>[^<]+)</code>'
        r'<button type="button" class="button copy-access-key" data-copy-target="(?P<target>[^"]+)">Copy</button>',
        page,
    )
    assert match, "no key with a copy button in the page"
    assert match["target"] == match["id"]
    assert KEY.fullmatch(match["key"])
    return match["key"]


def test_change_page_links_to_users_audit_records_and_documentation(staff_client, tenant, other_tenant):
    """The object tools hold Users, Audit records (filtered to this client) and Documentation, and each opens."""
    links = object_tool_links(change_page(staff_client, tenant.client))

    assert links["Users"] == f"/admin/accounts/clients/{tenant.client_id}/users/"
    assert links["Audit records"] == f"/admin/audit/auditlog/?client_id={tenant.client_id}"
    assert links["Documentation"] == f"/docs/clients/{tenant.client_id}/"
    assert "History" in links
    for url in (links["Users"], links["Audit records"], links["Documentation"]):
        assert staff_client.get(url).status_code == 200


def test_audit_link_lists_only_this_clients_records(staff_client, tenant, other_tenant):
    """Following the audit link shows the client's records and none of another client's."""
    url = object_tool_links(change_page(staff_client, tenant.client))["Audit records"]

    listed = {record.client_id for record in staff_client.get(url).context["cl"].result_list}

    assert listed == {tenant.client.client_id}
    assert AuditLog.objects.filter(client_id=other_tenant.client.client_id).exists()


def test_rotated_key_is_shown_once_with_a_copy_button(staff_client, tenant):
    """After Rotate, the message holds the new key once, in the element its Copy button copies."""
    response = staff_client.post(
        CHANGELIST, {"action": "rotate_access_key", "_selected_action": [str(tenant.client.pk)]}, follow=True
    )
    page = response.content.decode()

    key = shown_key_with_copy_button(page)
    assert key != tenant.access_key and page.count(key) == 1
    assert f"/static/{COPY_SCRIPT}" in page


def test_key_of_a_client_added_in_the_admin_gets_a_copy_button(staff_client):
    """The first key, shown after the add form, comes with the same copy button and script."""
    response = staff_client.post(f"{CHANGELIST}add/", {"client_name": "Initech", "industry": "SaaS"}, follow=True)
    page = response.content.decode()

    shown_key_with_copy_button(page)
    assert f"/static/{COPY_SCRIPT}" in page


def test_copy_script_and_stylesheet_are_served_locally(staff_client):
    """The copy script and its stylesheet are static files of ours, served by the app itself (no CDN)."""
    for path, expected in ((COPY_SCRIPT, b"data-copy-target"), ("tenants/admin/access_key.css", b".access-key")):
        assert finders.find(path)
        response = staff_client.get(f"/static/{path}")
        assert response.status_code == 200
        assert expected in b"".join(response.streaming_content)


def test_view_site_link_leads_to_a_page_that_exists(staff_client):
    """The admin header's "View site" link opens the API documentation, not a 404."""
    page = staff_client.get("/admin/").content.decode()
    [target] = re.findall(r'<a href="([^"]+)">View site</a>', page)
    assert target == "/api/docs/"
    assert staff_client.get(target).status_code == 200
