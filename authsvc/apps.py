"""The authsvc app (start-up notes, the `prepare_embedded` command) and the app configs of
contrib and third-party apps for MongoDB, whose collections need ObjectId primary keys."""

import logging

from axes.apps import AppConfig as AxesConfig
from django.apps import AppConfig
from django.conf import settings
from django.contrib.admin.apps import AdminConfig
from django.contrib.auth.apps import AuthConfig
from django.contrib.contenttypes.apps import ContentTypesConfig

from authsvc.redis_eviction import check_eviction_policy_at_start

OBJECT_ID_AUTO_FIELD = "django_mongodb_backend.fields.ObjectIdAutoField"

logger = logging.getLogger("authsvc.settings")


class AuthsvcAdminConfig(AdminConfig):
    default_site = "authsvc.admin_site.AuthsvcAdminSite"


class MongoAdminConfig(AuthsvcAdminConfig):
    default_auto_field = OBJECT_ID_AUTO_FIELD


class MongoAuthConfig(AuthConfig):
    default_auto_field = OBJECT_ID_AUTO_FIELD


class MongoContentTypesConfig(ContentTypesConfig):
    default_auto_field = OBJECT_ID_AUTO_FIELD


class MongoAxesConfig(AxesConfig):
    default_auto_field = OBJECT_ID_AUTO_FIELD


class AuthsvcConfig(AppConfig):
    name = "authsvc"

    def ready(self) -> None:
        log_start_notes()


_notes_logged = False


def log_start_notes() -> None:
    """Say once per process who may register clients, whether REDIS_URL's Redis may evict
    counters, and where an embedded default stands in for production configuration."""
    global _notes_logged
    if _notes_logged:
        return
    _notes_logged = True
    log_registration_mode()
    check_eviction_policy_at_start()
    if settings.DEBUG:
        return
    if settings.AUTHSVC_SECRET_KEY_FILE:
        logger.warning(
            "DJANGO_SECRET_KEY is not set: using the key generated in %s. Set DJANGO_SECRET_KEY in "
            "production so that every machine uses the same key.",
            settings.AUTHSVC_SECRET_KEY_FILE,
        )
    if not settings.REDIS_URL:
        logger.warning(
            "REDIS_URL is not set: rate limits count in the embedded Redis in %s, shared by the "
            "processes of this machine only. Set REDIS_URL when running on several machines.",
            settings.VAR_DIR,
        )


REGISTRATION_NOTES = {
    "token": "Client registration needs AUTHSVC_REGISTRATION_TOKEN (Authorization: Bearer <token>).",
    "open": "Client registration is OPEN: anyone who reaches this service can register a client.",
    "closed": "Client registration is closed: staff create clients (admin, manage.py create_client). "
    "Set AUTHSVC_REGISTRATION_TOKEN or AUTHSVC_OPEN_REGISTRATION=1 to let others register.",
}


def log_registration_mode() -> None:
    from tenants.selectors import registration_mode  # apps are not loaded when this module imports

    mode = registration_mode()
    level = logging.WARNING if mode == "open" and not settings.DEBUG else logging.INFO
    logger.log(level, REGISTRATION_NOTES[mode])
