"""Contrib app configs with ObjectId primary keys, as django-mongodb-backend requires."""

from django.contrib.auth.apps import AuthConfig
from django.contrib.contenttypes.apps import ContentTypesConfig

OBJECT_ID_AUTO_FIELD = "django_mongodb_backend.fields.ObjectIdAutoField"


class MongoAuthConfig(AuthConfig):
    default_auto_field = OBJECT_ID_AUTO_FIELD


class MongoContentTypesConfig(ContentTypesConfig):
    default_auto_field = OBJECT_ID_AUTO_FIELD



def give_blacklist_models_object_ids() -> None:
    """MongoDB only: SimpleJWT's blacklist models declare BigAutoField keys, which
    django-mongodb-backend refuses (SimpleJWT does not support MongoDB: its issues #282, #584).
    Their keys become ObjectIds; nothing else of the app changes. The app keeps its name in
    INSTALLED_APPS, because SimpleJWT looks for that exact name to turn blacklisting on.
    """
    from rest_framework_simplejwt.token_blacklist.apps import TokenBlacklistConfig

    import_models = TokenBlacklistConfig.import_models

    def import_models_with_object_ids(self):
        from django.db import models
        from django_mongodb_backend.fields import ObjectIdAutoField

        big_auto_field = models.BigAutoField
        models.BigAutoField = ObjectIdAutoField
        try:
            import_models(self)
        finally:
            models.BigAutoField = big_auto_field

    TokenBlacklistConfig.default_auto_field = OBJECT_ID_AUTO_FIELD
    TokenBlacklistConfig.import_models = import_models_with_object_ids
