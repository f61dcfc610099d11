from django.urls import path

from core.routing import by_method
from webhooks import views

client_api_urlpatterns = [
    path("webhooks", by_method(get=views.WebhookListApi, post=views.WebhookCreateApi), name="webhook-list"),
    path("webhooks/<uuid:webhook_id>", views.WebhookDeleteApi.as_view(), name="webhook-detail"),
    path("webhooks/<uuid:webhook_id>/rotate-secret", views.WebhookSecretRotateApi.as_view(), name="webhook-rotate-secret"),
    path("webhooks/<uuid:webhook_id>/deliveries", views.WebhookDeliveriesApi.as_view(), name="webhook-deliveries"),
]
