"""A plain single-tenant Django + SimpleJWT project: the peer that figure 2 measures us against.

What a newcomer would build from SimpleJWT's documentation: Django's default middleware,
`django.contrib.auth` users, TokenRefreshView with ROTATE_REFRESH_TOKENS and
BLACKLIST_AFTER_ROTATION (the token_blacklist app), TokenVerifyView. Like our service it signs
RS256 with a 2048-bit key, reuses database connections and journals SQLite the same way, so
that both pay the same cryptography, connection and commit costs. It shares nothing with
authsvc but the store engine and the machine: DATABASE_URL picks SQLite, PostgreSQL or MongoDB the same way.
"""

import os
from pathlib import Path

import dj_database_url
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pymongo.uri_parser import parse_uri

SCRATCH = Path(os.environ["BENCH_PEER_DIR"])
SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
USE_TZ = True
ROOT_URLCONF = "bench.peer.urls"

DATABASE_URL = os.environ["DATABASE_URL"]
USING_MONGODB = DATABASE_URL.startswith("mongodb")
# The same connection reuse as our service (AUTHSVC_DB_CONN_MAX_AGE, default 600 s), so that the
# comparison is of the work per request, not of connection policy.
CONN_MAX_AGE = int(os.environ.get("AUTHSVC_DB_CONN_MAX_AGE") or 600)
if USING_MONGODB:
    DATABASES = {
        "default": {
            "ENGINE": "django_mongodb_backend",
            "HOST": DATABASE_URL,
            "NAME": parse_uri(DATABASE_URL)["database"],
            "CONN_MAX_AGE": CONN_MAX_AGE,
            "CONN_HEALTH_CHECKS": True,
        }
    }
    DEFAULT_AUTO_FIELD = "django_mongodb_backend.fields.ObjectIdAutoField"
    CONTRIB_APPS = ["bench.peer.apps.MongoAuthConfig", "bench.peer.apps.MongoContentTypesConfig"]
    from bench.peer.apps import give_blacklist_models_object_ids

    give_blacklist_models_object_ids()
else:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=CONN_MAX_AGE, conn_health_checks=True)}
    # The same SQLite journal as our service's file databases (WAL, synchronous=NORMAL), so that
    # commits cost both projects the same.
    if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        DATABASES["default"]["OPTIONS"] = {"init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL"}
    DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
    CONTRIB_APPS = ["django.contrib.auth", "django.contrib.contenttypes"]

INSTALLED_APPS = [
    *CONTRIB_APPS,
    "django.contrib.sessions",
    "django.contrib.messages",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
]
# Tables straight from the models (migrate --run-syncdb) on both stores: the contrib
# migrations assume integer keys, which MongoDB's backend replaces with ObjectIds.
MIGRATION_MODULES = {"auth": None, "contenttypes": None, "sessions": None, "token_blacklist": None}

# `startproject`'s default middleware, as a plain project keeps it.
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

REST_FRAMEWORK = {"DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]}


def _signing_key() -> bytes:
    path = SCRATCH / "peer_rs256.pem"
    if not path.exists():
        SCRATCH.mkdir(parents=True, exist_ok=True)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return path.read_bytes()


_PRIVATE_PEM = _signing_key()
_PUBLIC_PEM = serialization.load_pem_private_key(_PRIVATE_PEM, password=None).public_key().public_bytes(
    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
)

SIMPLE_JWT = {
    "ALGORITHM": "RS256",
    "SIGNING_KEY": _PRIVATE_PEM.decode(),
    "VERIFYING_KEY": _PUBLIC_PEM.decode(),
    "ISSUER": "http://127.0.0.1:8000",
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
}

PASSWORD_HASHERS = ["django.contrib.auth.hashers.BCryptSHA256PasswordHasher"]
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
