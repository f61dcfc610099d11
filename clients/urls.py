from django.urls import path

from clients import views

api_urlpatterns = [
    path("clients/register", views.ClientRegisterApi.as_view(), name="client-register"),
    path("<uuid:client_id>/", views.ClientDetailApi.as_view(), name="client-detail"),
]
