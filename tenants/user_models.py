"""Per-client user model classes, built on demand and kept in a bounded LRU cache.

Each class gets an app registry of its own (`Apps`), so that:
- the global registry (`django.apps.apps`) never learns of 10,000 tenant models;
- an evicted class is really freed: nothing else holds a reference to it.
Building a class costs a few hundred microseconds; the cache keeps hot paths free of it.

Each class carries the database alias its client's record names (`Client.users_database`), and
`tenants.routers.TenantRouter` routes it there: pass the client, not only its id, so that the
record decides. An id alone gets the class already cached, else one on the default placement.
"""

import threading
import uuid
from collections import OrderedDict

from django.apps.registry import Apps
from django.conf import settings
from django.db import models

from tenants.models import AbstractTenantUser, default_users_database

APP_LABEL = "tenant_users"


def users_table_name(client_id: uuid.UUID) -> str:
    """The one place that names a client's users table (SQL) or collection (MongoDB)."""
    return f"users_{client_id.hex}"


def email_constraint_name(client_id: uuid.UUID) -> str:
    return f"{users_table_name(client_id)}_email_uniq"


def _build_user_model(client_id: uuid.UUID, users_database: str | None = None) -> type[AbstractTenantUser]:
    table = users_table_name(client_id)
    meta = type(
        "Meta",
        (),
        {
            "app_label": APP_LABEL,
            "apps": Apps(installed_apps=[]),
            "db_table": table,
            "constraints": [
                models.UniqueConstraint(fields=["email"], name=email_constraint_name(client_id)),
            ],
            "ordering": AbstractTenantUser._meta.ordering,
        },
    )
    attrs = {
        "__module__": __name__,
        "Meta": meta,
        "client_id": client_id,
        "users_database": users_database or default_users_database(),
    }
    return type(f"TenantUser_{client_id.hex}", (AbstractTenantUser,), attrs)


class UserModelCache:
    """A thread-safe LRU of model classes keyed by client_id."""

    def __init__(self, maxsize: int):
        self.maxsize = maxsize
        self._classes: OrderedDict[uuid.UUID, type[AbstractTenantUser]] = OrderedDict()
        self._lock = threading.Lock()
        self.builds = 0

    def get(self, client_id: uuid.UUID, users_database: str | None = None) -> type[AbstractTenantUser]:
        """The class of `client_id`, routed to `users_database` (None: whatever the cached one says)."""
        with self._lock:
            model = self._classes.get(client_id)
            if model is not None and users_database in (None, model.users_database):
                self._classes.move_to_end(client_id)
                return model
        model = _build_user_model(client_id, users_database)
        with self._lock:
            # Another thread may have built it meanwhile; keep one class per client and placement.
            current = self._classes.get(client_id)
            if current is not None and current.users_database == model.users_database:
                model = current
            self._classes[client_id] = model
            self._classes.move_to_end(client_id)
            self.builds += 1
            while len(self._classes) > self.maxsize:
                self._classes.popitem(last=False)
        return model

    def resize(self, maxsize: int) -> None:
        with self._lock:
            self.maxsize = maxsize
            while len(self._classes) > maxsize:
                self._classes.popitem(last=False)

    def forget(self, client_id: uuid.UUID) -> None:
        with self._lock:
            self._classes.pop(client_id, None)

    def clear(self) -> None:
        with self._lock:
            self._classes.clear()

    def __len__(self) -> int:
        return len(self._classes)

    def __contains__(self, client_id: uuid.UUID) -> bool:
        return client_id in self._classes


user_model_cache = UserModelCache(settings.AUTHSVC_USER_MODEL_CACHE_SIZE)


def user_model_for(client) -> type[AbstractTenantUser]:
    """The model of the client's `users_<client_id hex>`, routed by its record.

    `client` is a Client (or anything with `client_id` and `users_database`), or a client_id that
    must already be a validated UUID (tests, benchmarks: see the module's docstring).
    """
    if hasattr(client, "users_database"):
        return user_model_cache.get(client.client_id, client.users_database)
    if not isinstance(client, uuid.UUID):
        client = uuid.UUID(str(client))
    return user_model_cache.get(client)
