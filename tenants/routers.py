"""Routes per-client user models to the tenant database and keeps `migrate` off them.

Tenant collections are created by `tenants.provisioning`, one per client, never by
migrations; central models (clients, access keys, tokens, audit) stay on `default`.
"""

from django.conf import settings


def is_tenant_user_model(model) -> bool:
    return getattr(model, "is_tenant_user_model", False)


class TenantRouter:
    def db_for_read(self, model, **hints):
        if is_tenant_user_model(model):
            return settings.AUTHSVC_TENANT_DATABASE
        return "default"

    db_for_write = db_for_read

    def allow_relation(self, obj1, obj2, **hints):
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        model = hints.get("model")
        if model is not None and is_tenant_user_model(model):
            return False
        return db == "default"
