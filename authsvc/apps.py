"""The authsvc app (the Redis eviction check at start, the sealing keys' system check, the
`prepare_embedded` command) and the app configs of contrib and third-party apps for MongoDB, whose
collections need ObjectId primary keys."""

from axes.apps import AppConfig as AxesConfig
from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig
from django.contrib.auth.apps import AuthConfig
from django.contrib.contenttypes.apps import ContentTypesConfig
from django.core import checks

from authsvc.redis_eviction import check_eviction_policy_at_start
from crypto.checks import sealing_keys_check

OBJECT_ID_AUTO_FIELD = "django_mongodb_backend.fields.ObjectIdAutoField"


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
        # Every process: AUTHSVC_REQUIRE_REDIS_NOEVICTION refuses any start on an evicting Redis.
        # What only the server needs to say is in authsvc/start_notes.py.
        check_eviction_policy_at_start()
        checks.register(sealing_keys_check, checks.Tags.security, deploy=True)
