from django.apps import AppConfig


class ClientApiConfig(AppConfig):
    """An app only so that the access-key security scheme is registered with drf-spectacular at start-up."""

    name = "clientapi"

    def ready(self) -> None:
        from clientapi import openapi  # noqa: F401  (registers the access-key security scheme)
