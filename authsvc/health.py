"""Liveness and readiness probes for load balancers and orchestrators."""

import logging
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.http import JsonResponse
from django.views.decorators.http import require_GET

from authsvc.redis_eviction import eviction_warning

logger = logging.getLogger("authsvc.health")


@require_GET
def healthz(request):
    """The process is up; says nothing of its dependencies."""
    return JsonResponse({"status": "ok"})


def _database_ok(alias: str) -> bool:
    try:
        connection = connections[alias]
        # A round trip that costs the same with 10 or 10,000 tenant collections.
        if connection.vendor == "mongodb":
            connection.ensure_connection()
            connection.database.command("ping")
        else:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        return True
    except Exception as error:  # any failure means "not ready"; the reason goes to the log
        logger.warning("readyz: database %r check failed: %s", alias, error.__class__.__name__)
        connections[alias].close_if_unusable_or_obsolete()
        return False


def _cache_ok() -> bool:
    probe = f"readyz:{uuid.uuid4().hex}"
    try:
        cache.set(probe, "1", timeout=5)
        ok = cache.get(probe) == "1"
        cache.delete(probe)
        return ok
    except Exception as error:
        logger.warning("readyz: cache check failed: %s", error.__class__.__name__)
        return False


@require_GET
def readyz(request):
    checks = {"database": "ok" if _database_ok("default") else "down"}
    if settings.AUTHSVC_TENANT_DATABASE != "default":
        checks["tenant_database"] = "ok" if _database_ok(settings.AUTHSVC_TENANT_DATABASE) else "down"
    checks["cache"] = "ok" if _cache_ok() else "down"
    ready = all(state == "ok" for state in checks.values())
    body = {"status": "ok" if ready else "unavailable", "checks": checks}
    # A Redis that may evict counters serves; the probe says so without failing (docs/api.md §3).
    if checks["cache"] == "ok" and (warning := eviction_warning()) is not None:
        body["warnings"] = {"cache": warning.as_json()}
    if not ready:
        body.update(error="service_unavailable", detail="A dependency is down.")
    return JsonResponse(body, status=200 if ready else 503)
