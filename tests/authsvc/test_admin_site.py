"""The admin site is a class of our own: other apps' pages are wired in it, nothing is patched at import."""

from django.contrib import admin

from authsvc.admin import ClientAdmin
from authsvc.admin_site import AuthsvcAdminSite
from tenants.models import Client


def test_the_admin_site_is_ours_and_unpatched():
    """`admin.site` is an AuthsvcAdminSite, and no method of it was replaced on the instance."""
    assert isinstance(admin.site, AuthsvcAdminSite)
    assert not {"get_urls", "each_context", "index"} & set(vars(admin.site))


def test_the_client_admin_carries_the_other_apps_links():
    """The registered client admin is the combined one, with its own change-form template."""
    registered = admin.site.get_model_admin(Client)
    assert type(registered) is ClientAdmin
    assert registered.change_form_template == "admin/authsvc/client_change_form.html"


def test_view_site_leads_to_the_api_description(admin_client):
    """The admin's "View site" link goes to the Swagger page, which answers."""
    page = admin_client.get("/admin/").content.decode()
    assert 'href="/api/docs/"' in page
    assert admin_client.get("/api/docs/").status_code == 200


def test_the_admin_names_the_service_not_the_framework(admin_client, client):
    """The header and the browser tab say authsvc, on the login page too; none says "Django administration"."""
    pages = [admin_client.get(url) for url in ("/admin/", "/admin/tenants/client/", "/admin/audit/auditlog/")]
    for response in [*pages, client.get("/admin/login/")]:
        page = response.content.decode()
        assert '<a href="/admin/">authsvc administration</a>' in page
        assert "| authsvc admin</title>" in page
        assert "Django administration" not in page and "Django site admin" not in page
