from django.contrib import admin
from django.urls import include, path

from authsvc import health
from tenants.urls import api_urlpatterns as tenant_api, docs_urlpatterns as tenant_docs

urlpatterns = [
    path("api/v1/", include(tenant_api)),
    path("docs/", include(tenant_docs)),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
]
