import logging

from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save

logger = logging.getLogger("authsvc.tenants")


class TenantsConfig(AppConfig):
    name = "tenants"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from crypto.resealing import register_sealed_column
        from tenants.key_cache import forget_saved_or_deleted
        from tenants.models import AccessKey, Client
        from tenants.smtp import smtp_url_column

        for model in (Client, AccessKey):
            for event, signal in (("save", post_save), ("delete", post_delete)):
                signal.connect(forget_saved_or_deleted, sender=model, dispatch_uid=f"key-cache.{model.__name__}.{event}")
        # `manage.py reseal_secrets` seals the stored SMTP URLs again under the first key.
        register_sealed_column(smtp_url_column())
