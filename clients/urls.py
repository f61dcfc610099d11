from django.urls import path

from clients import views
from core.routing import by_method

api_urlpatterns = [
    path("clients/register", views.ClientRegisterApi.as_view(), name="client-register"),
    path("<uuid:client_id>/", by_method(get=views.ClientDetailApi, patch=views.ClientSettingsUpdateApi), name="client-detail"),
]
