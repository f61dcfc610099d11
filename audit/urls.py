from django.urls import path

from audit import views

client_api_urlpatterns = [
    path("audit", views.AuditListApi.as_view(), name="audit-list"),
]
