from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from crypto.resealing import register_sealed_column
        from webhooks import outbox, receivers  # models are loaded only now
        from webhooks.models import sealed_secret_columns

        outbox.register()
        receivers.connect()
        # `manage.py reseal_secrets` seals the stored signing secrets again under the first key.
        for column in sealed_secret_columns():
            register_sealed_column(column)
