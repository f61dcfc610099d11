"""Routes each client's user model to the database its record names, and keeps `migrate` off them.

A per-client model class carries `users_database`, stamped from `Client.users_database` when
`tenants.user_models` (or `tenants.evolution`) builds it. For every other model this router has
no opinion (None), and Django sends it to `default`. The users tables are created and evolved by
`tenants.provisioning` and `tenants.evolution`, never by `migrate`; other aliases hold users
tables only, so nothing central is migrated there.
"""

from django.db import DEFAULT_DB_ALIAS


def is_tenant_user_model(model) -> bool:
    return getattr(model, "is_tenant_user_model", False)


class TenantRouter:
    def db_for_read(self, model, **hints):
        if is_tenant_user_model(model):
            return getattr(model, "users_database", None)
        return None

    db_for_write = db_for_read

    def allow_relation(self, obj1, obj2, **hints):
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        model = hints.get("model")
        if model is not None and is_tenant_user_model(model):
            return False
        if db != DEFAULT_DB_ALIAS:
            return False
        return None
