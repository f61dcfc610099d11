from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from accounts import discovery
from accounts.urls import client_api_urlpatterns as account_api
from accounts.urls import link_urlpatterns as account_links
from accounts.views import jwks_document
from audit.urls import client_api_urlpatterns as audit_api
from authsvc import docs_page, health
from authsvc.api_docs import RedocPage, SwaggerPage
from authsvc.favicon import favicon
from clients.urls import api_urlpatterns as client_endpoints
from webhooks.urls import client_api_urlpatterns as webhook_api

urlpatterns = [
    path("api/v1/", include(client_endpoints)),
    path("api/v1/<uuid:client_id>/.well-known/openid-configuration", discovery.client_discovery, name="client-discovery"),
    path("api/v1/<uuid:client_id>/", include(account_api)),
    path("api/v1/<uuid:client_id>/", include(audit_api)),
    path("api/v1/<uuid:client_id>/", include(webhook_api)),
    path(".well-known/jwks.json", jwks_document, name="jwks"),
    path(".well-known/openid-configuration", discovery.service_discovery, name="openid-configuration"),
    path(".well-known/oauth-authorization-server", discovery.service_discovery, name="oauth-authorization-server"),
    path(
        ".well-known/oauth-authorization-server/api/v1/<uuid:client_id>",
        discovery.client_oauth_metadata,
        name="client-oauth-authorization-server",
    ),
    path("api/schema/", SpectacularAPIView.as_view(), name="openapi-schema"),
    path("api/docs/", SwaggerPage.as_view(url_name="openapi-schema"), name="swagger-ui"),
    path("api/redoc/", RedocPage.as_view(url_name="openapi-schema"), name="redoc"),
    path("docs/clients/<str:client_id>/", docs_page.client_docs_page, name="client-docs"),
    path("links/<uuid:client_id>/", include(account_links)),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("favicon.ico", favicon, name="favicon"),
    path("admin/", admin.site.urls),
]
