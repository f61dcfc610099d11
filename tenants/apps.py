import logging

from django.apps import AppConfig
from django.conf import settings

logger = logging.getLogger("authsvc.tenants")


class TenantsConfig(AppConfig):
    name = "tenants"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from tenants import openapi  # noqa: F401  (registers the access-key security scheme)

        if not settings.REDIS_URL:
            logger.warning(
                "REDIS_URL is not set: rate limits use a per-process memory cache. "
                "Fine for the embedded default; set REDIS_URL when running several processes."
            )
