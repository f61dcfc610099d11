from django.urls import path

from tenants import views

api_urlpatterns = [
    path("clients/register", views.ClientRegisterApi.as_view(), name="client-register"),
    path("<uuid:client_id>/", views.ClientDetailApi.as_view(), name="client-detail"),
]

docs_urlpatterns = [
    path("clients/<str:client_id>/", views.client_docs_page, name="client-docs"),
]
