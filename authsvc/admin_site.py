"""The admin site class (the admin app config's `default_site`): pages that belong to no ModelAdmin."""

from django.contrib import admin
from django.urls import path, reverse_lazy


class AuthsvcAdminSite(admin.AdminSite):
    # Django's defaults ("Django administration", "Django site admin") name the framework, not the service.
    site_header = "authsvc administration"
    site_title = "authsvc admin"
    index_title = "Clients, users, tokens and audit"
    # The navigation column would take a fifth of a 1366 px screen from the lists beside their
    # filters; the index and the breadcrumbs lead everywhere it does.
    enable_nav_sidebar = False
    # The service has no home page: its API description is the site.
    site_url = reverse_lazy("swagger-ui")
    index_template = "admin/authsvc_index.html"

    def get_urls(self):
        # Per-client user tables have no ModelAdmin: their page is a view of the site's own,
        # placed before the site's catch-all.
        from accounts.admin import client_users_view  # the site is built while app admins import

        users_page = path(
            "accounts/clients/<uuid:client_id>/users/",
            self.admin_view(client_users_view),
            name="accounts_client_users",
        )
        return [users_page, *super().get_urls()]
