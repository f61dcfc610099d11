"""Settings for authsvc, read from the environment in this one place.

Every variable has a default that makes `make run` work on a fresh machine; combinations
that cannot be right (production with a guessable secret key, a tenant alias without a URL)
raise ImproperlyConfigured at start-up instead of failing on the first request.
"""

import logging
import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from pymongo.uri_parser import parse_uri as parse_mongo_uri

from authsvc import embedded_redis
from authsvc.email_url import email_settings
from authsvc.private_paths import owner_only_directory, owner_only_sqlite_file
from authsvc.public_url import recorded_public_url
from authsvc.secret_key import embedded_secret_key, is_weak, key_file
from core.rates import rate_problem
from crypto.sealing_keys import key_from_secret as sealing_key_from_secret
from crypto.sealing_keys import keys_problem as sealing_keys_problem

BASE_DIR = Path(__file__).resolve().parent.parent
# Owner-only (0700): it holds secret keys and, on the embedded default, the password hashes.
VAR_DIR = owner_only_directory(Path(os.environ.get("AUTHSVC_VAR_DIR") or BASE_DIR / "var"))

logger = logging.getLogger("authsvc.settings")


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {value!r}")


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    value = os.environ.get(name) or str(default)
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from None
    if number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {number}")
    return number


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_rate(name: str, default: str) -> str:
    """A rate the limiter can enforce ("100/0m" would fail every call it counts)."""
    value = os.environ.get(name, default)
    if problem := rate_problem(value):
        raise ImproperlyConfigured(f"{name}: {problem}, got {value!r}")
    return value


# Reusing connections across requests: opening one per request costs more than a login's
# queries (a MongoClient handshake; SQLite re-reading a schema of thousands of tables).
CONN_MAX_AGE = env_int("AUTHSVC_DB_CONN_MAX_AGE", 600)
# Such a connection is checked before a request uses it (CONN_HEALTH_CHECKS), unless its last query
# began less than this many seconds ago (PostgreSQL: authsvc/db_backends/postgresql); 0: always.
AUTHSVC_DB_HEALTH_CHECK_IDLE_SECONDS = env_int("AUTHSVC_DB_HEALTH_CHECK_IDLE_SECONDS", 1)


# A served SQLite file is read by several workers while one writes: WAL lets readers go on
# during a write, and in WAL mode synchronous=NORMAL syncs at checkpoints rather than on every
# commit (each login and refresh commits two or three rows). The cost: a power cut can undo the
# last commits, never corrupt the file. MongoDB is the production store; this is the default.
SQLITE_FILE_PRAGMAS = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL"


def database_from_url(url: str) -> dict:
    """One DATABASES entry from a URL: dj-database-url for SQL stores, pymongo's parser for MongoDB."""
    if url.startswith(("mongodb://", "mongodb+srv://")):
        # django-mongodb-backend 5.2.4 deprecates its parse_uri() in favour of passing the
        # whole connection string as HOST; pymongo's parser validates it and names the database.
        parsed = parse_mongo_uri(url)
        if not parsed.get("database"):
            raise ImproperlyConfigured(
                "A MongoDB DATABASE_URL must name its database: mongodb://host:port/<dbname>"
            )
        # pymongo waits 30 s for a server by default; a request should fail fast with a 503.
        options = {} if "serverselectiontimeoutms" in parsed["options"] else {"serverSelectionTimeoutMS": 5000}
        return {
            "ENGINE": "django_mongodb_backend",
            "HOST": url,
            "NAME": parsed["database"],
            "OPTIONS": options,
            "CONN_MAX_AGE": CONN_MAX_AGE,
            "CONN_HEALTH_CHECKS": True,
        }
    config = dj_database_url.parse(url, conn_max_age=CONN_MAX_AGE, conn_health_checks=True)
    if config["ENGINE"] == "django.db.backends.postgresql":
        config["ENGINE"] = "authsvc.db_backends.postgresql"  # Django's, its health check spared for busy connections
    if config["ENGINE"] == "django.db.backends.sqlite3" and config["NAME"] not in ("", ":memory:"):
        owner_only_sqlite_file(Path(config["NAME"]))  # 0600, like the key files: it holds password hashes
        config.setdefault("OPTIONS", {}).setdefault("init_command", SQLITE_FILE_PRAGMAS)
    return config


def url_origin(name: str, url: str) -> str:
    """scheme://host[:port] of an absolute http(s) URL, for CSRF_TRUSTED_ORIGINS."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ImproperlyConfigured(f"{name} must be an absolute http:// or https:// URL, got {url!r}")
    return f"{parts.scheme}://{parts.netloc}"


DEBUG = env_bool("DJANGO_DEBUG", False)

# Unset: a random key generated once into VAR_DIR (0600) and shared by every process there.
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if SECRET_KEY:
    AUTHSVC_SECRET_KEY_FILE = ""
    if not DEBUG and is_weak(SECRET_KEY):
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is weak (fewer than 50 characters, fewer than 5 different ones, or "
            "a 'django-insecure' key) and DJANGO_DEBUG is off: refusing to start. Generate one with "
            "python -c 'import secrets; print(secrets.token_urlsafe(48))'."
        )
else:
    SECRET_KEY = embedded_secret_key(VAR_DIR)
    AUTHSVC_SECRET_KEY_FILE = str(key_file(VAR_DIR))

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")

# The environment, else the URL `make run` recorded for the port it serves, else (DEBUG only) the
# default port. In production a guess would put 127.0.0.1 into every mailed link and `iss` claim.
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"
if os.environ.get("AUTHSVC_PUBLIC_URL"):
    AUTHSVC_PUBLIC_URL_SOURCE = "environment"
    AUTHSVC_PUBLIC_URL = os.environ["AUTHSVC_PUBLIC_URL"]
elif recorded_public_url(VAR_DIR):
    AUTHSVC_PUBLIC_URL_SOURCE = "file"
    AUTHSVC_PUBLIC_URL = recorded_public_url(VAR_DIR)
elif DEBUG:
    AUTHSVC_PUBLIC_URL_SOURCE = "default"
    AUTHSVC_PUBLIC_URL = DEFAULT_PUBLIC_URL
else:
    raise ImproperlyConfigured(
        "AUTHSVC_PUBLIC_URL is not set and DJANGO_DEBUG is off: refusing to start, or mailed links, "
        f"documentation_url and the iss claim would point at {DEFAULT_PUBLIC_URL}. Set it to the URL "
        "browsers and clients reach this service at, e.g. AUTHSVC_PUBLIC_URL=https://auth.example.com "
        f"({DEFAULT_PUBLIC_URL} for a trial on this machine), or DJANGO_DEBUG=1 for development."
    )
AUTHSVC_PUBLIC_URL = AUTHSVC_PUBLIC_URL.rstrip("/")
PUBLIC_URL_ORIGIN = url_origin(
    str(VAR_DIR / "public_url") if AUTHSVC_PUBLIC_URL_SOURCE == "file" else "AUTHSVC_PUBLIC_URL", AUTHSVC_PUBLIC_URL
)
PUBLIC_URL_IS_HTTPS = PUBLIC_URL_ORIGIN.startswith("https://")
AUTHSVC_ISSUER = os.environ.get("AUTHSVC_ISSUER") or AUTHSVC_PUBLIC_URL
AUTHSVC_REGISTRATION_TOKEN = os.environ.get("AUTHSVC_REGISTRATION_TOKEN", "")
# Anyone who can register a client can make us mail what its name says: open registration is
# the development default only, and a production operator must choose it knowingly.
AUTHSVC_OPEN_REGISTRATION = env_bool("AUTHSVC_OPEN_REGISTRATION", default=DEBUG)
if AUTHSVC_REGISTRATION_TOKEN and env_bool("AUTHSVC_OPEN_REGISTRATION"):
    raise ImproperlyConfigured(
        "AUTHSVC_OPEN_REGISTRATION=1 and AUTHSVC_REGISTRATION_TOKEN contradict each other: "
        "unset the token to let anyone register, or unset AUTHSVC_OPEN_REGISTRATION to require it."
    )
AUTHSVC_JWT_PRIVATE_KEY_FILE = os.environ.get("AUTHSVC_JWT_PRIVATE_KEY_FILE", "")
# How long verifiers may cache the JWKS document (its Cache-Control max-age), and how long a key
# `rotate_signing_key` adds is published before it signs: longer, so that every cached copy of
# the document holds a key before the first token it signs (accounts/signing_keys.py).
JWKS_MAX_AGE_SECONDS = 300
AUTHSVC_JWT_KEY_STAGE_SECONDS = env_int("AUTHSVC_JWT_KEY_STAGE_SECONDS", JWKS_MAX_AGE_SECONDS + 60, minimum=JWKS_MAX_AGE_SECONDS)
AUTHSVC_ACCESS_TOKEN_MINUTES = env_int("AUTHSVC_ACCESS_TOKEN_MINUTES", 15, minimum=1)
AUTHSVC_REFRESH_TOKEN_DAYS = env_int("AUTHSVC_REFRESH_TOKEN_DAYS", 7, minimum=1)
AUTHSVC_BCRYPT_ROUNDS = env_int("AUTHSVC_BCRYPT_ROUNDS", 12, minimum=4)
AUTHSVC_TRUSTED_PROXIES = env_int("AUTHSVC_TRUSTED_PROXIES", 0)
# Per-client user model classes kept in memory; the rest are rebuilt on demand.
AUTHSVC_USER_MODEL_CACHE_SIZE = env_int("AUTHSVC_USER_MODEL_CACHE_SIZE", 1024, minimum=1)
# Seconds a worker may answer from its memory of an access key changed by another process
# (tenants/key_cache.py); 0 looks every key up on every call.
AUTHSVC_ACCESS_KEY_CACHE_SECONDS = env_int("AUTHSVC_ACCESS_KEY_CACHE_SECONDS", 5, minimum=0)
AUTHSVC_REGISTRATION_RATE = env_rate("AUTHSVC_REGISTRATION_RATE", "20/h")
# Per-client limits (rates as in core/rates.py); a client's `rate_limits` field overrides each.
AUTHSVC_RATE_LIMITS = {
    "access_key": env_rate("AUTHSVC_RATE_ACCESS_KEY", "1200/m"),
    "login_email": env_rate("AUTHSVC_RATE_LOGIN_EMAIL", "10/m"),
    "login_ip": env_rate("AUTHSVC_RATE_LOGIN_IP", "30/m"),
    "signup_ip": env_rate("AUTHSVC_RATE_SIGNUP_IP", "30/m"),
    "mail_email": env_rate("AUTHSVC_RATE_MAIL_EMAIL", "5/h"),
    # All mail-sending calls of one client: bounds what one client can make us mail to strangers.
    "mail_client": env_rate("AUTHSVC_RATE_MAIL_CLIENT", "200/h"),
    # Requests to a client's mailed-link pages from one browser address (peer, IPv6 per /64):
    # they take no access key, so anyone can send them.
    "link_ip": env_rate("AUTHSVC_RATE_LINK_IP", "30/m"),
    # Second-factor codes (login/mfa and the TOTP confirmations): per user, and per end-user IP.
    "mfa_user": env_rate("AUTHSVC_RATE_MFA_USER", "10/m"),
    "mfa_ip": env_rate("AUTHSVC_RATE_MFA_IP", "30/m"),
    # Bulk imports and exports of one client (users/import, users/export): each moves up to
    # AUTHSVC_IMPORT_MAX_LINES users, or every user.
    "transfer_client": env_rate("AUTHSVC_RATE_TRANSFER_CLIENT", "60/h"),
}
# Off only in the bench's what-if without the per-key counter; never from the environment.
AUTHSVC_RATE_LIMITS_ENABLED = True

# --- keys of the service's own HMACs (crypto/hmac_keys.py) -------------------------------
# Access-key secrets, refresh-token hashes and email-token fingerprints. Unset, SECRET_KEY is
# the current key, as it was before these settings existed; it is always accepted when verifying.
AUTHSVC_HMAC_KEY = os.environ.get("AUTHSVC_HMAC_KEY", "")
AUTHSVC_HMAC_KEY_FALLBACKS = env_list("AUTHSVC_HMAC_KEY_FALLBACKS")
# Older SECRET_KEYs that Django's signing (sessions, mailed links) still accepts.
SECRET_KEY_FALLBACKS = env_list("DJANGO_SECRET_KEY_FALLBACKS")

# --- storage ---------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'authsvc.sqlite3'}"
DATABASES = {"default": database_from_url(DATABASE_URL)}

AUTHSVC_TENANT_DATABASE = os.environ.get("AUTHSVC_TENANT_DATABASE") or "default"
if AUTHSVC_TENANT_DATABASE != "default":
    tenant_url_variable = f"DATABASE_URL_{AUTHSVC_TENANT_DATABASE.upper()}"
    if not os.environ.get(tenant_url_variable):
        raise ImproperlyConfigured(
            f"AUTHSVC_TENANT_DATABASE={AUTHSVC_TENANT_DATABASE!r} needs {tenant_url_variable} "
            "to say where that database is."
        )
    DATABASES[AUTHSVC_TENANT_DATABASE] = database_from_url(os.environ[tenant_url_variable])
    if DATABASES[AUTHSVC_TENANT_DATABASE]["ENGINE"] != DATABASES["default"]["ENGINE"]:
        raise ImproperlyConfigured("The tenant database must use the same engine as DATABASE_URL.")

USING_MONGODB = DATABASES["default"]["ENGINE"] == "django_mongodb_backend"

DATABASE_ROUTERS = ["tenants.routers.TenantRouter"]

if USING_MONGODB:
    DEFAULT_AUTO_FIELD = "django_mongodb_backend.fields.ObjectIdAutoField"
    CONTRIB_APPS = [
        "authsvc.apps.MongoAdminConfig",
        "authsvc.apps.MongoAuthConfig",
        "authsvc.apps.MongoContentTypesConfig",
    ]
    AXES_APP = "authsvc.apps.MongoAxesConfig"
    MIGRATION_MODULES = {
        "admin": "authsvc.mongo_migrations.admin",
        "auth": "authsvc.mongo_migrations.auth",
        "contenttypes": "authsvc.mongo_migrations.contenttypes",
        "axes": "authsvc.mongo_migrations.axes",
    }
else:
    DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
    CONTRIB_APPS = [
        "authsvc.apps.AuthsvcAdminConfig",
        "django.contrib.auth",
        "django.contrib.contenttypes",
    ]
    AXES_APP = "axes"

INSTALLED_APPS = [
    *CONTRIB_APPS,
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    AXES_APP,  # admin login lockouts; with the cache handler its (migrated) tables stay empty
    "tenants",
    "clientapi",  # the per-client HTTP platform: registers the access-key scheme with drf-spectacular
    "delivery",
    "accounts",
    "webhooks",
    "audit",
    "authsvc.apps.AuthsvcConfig",  # start-up notes and the `prepare_embedded` command
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before whitenoise: a static file (an SVG opened on its own) gets the policy too.
    # django-csp's, with the policies the settings alone decide built once (authsvc/content_security_policy.py).
    "authsvc.content_security_policy.PrebuiltPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "authsvc.middleware.ApiErrorEnvelopeMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, so that it turns an admin login refused for a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

# --- admin login lockouts (django-axes) --------------------------------------------------
# Axes' backend refuses a locked-out name or address before Django's backend checks a password.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Counters live in Redis with their cool-off as expiry: nothing to migrate on either store,
# and every process (and machine) sharing REDIS_URL sees the same count.
AXES_HANDLER = "axes.handlers.cache.AxesCacheHandler"
AXES_CACHE = "default"
# A name is locked whatever address tries it (a botnet guessing one staff password), and an
# address is locked whatever names it tries (one host spraying many names).
AXES_LOCKOUT_PARAMETERS = [["username"], ["ip_address"]]
AXES_FAILURE_LIMIT = env_int("AUTHSVC_ADMIN_LOGIN_FAILURES", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AUTHSVC_ADMIN_LOCKOUT_MINUTES", 15, minimum=1))
# A wrong password during a lockout does not restart the cool-off: a locked-out staff member
# retrying is not kept out for ever, and an attacker gains nothing by it (every try is refused).
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# A staff member who gets in after a typo starts again from zero failures.
AXES_RESET_ON_SUCCESS = True
# The same peer address as the rest of the service, X-Forwarded-For only through trusted hops.
AXES_CLIENT_IP_CALLABLE = "core.request_meta.peer_ip_bucket"
AXES_LOCKOUT_TEMPLATE = "admin/locked_out.html"
AXES_HTTP_RESPONSE_CODE = 429
AXES_VERBOSE = False
# Its admin pages list the database handler's tables, which the cache handler leaves empty.
AXES_ENABLE_ADMIN = False

ROOT_URLCONF = "authsvc.urls"
WSGI_APPLICATION = "authsvc.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- cache (rate limits, readiness) -----------------------------------------------------
# Always Redis: REDIS_URL, else the embedded redis-server on a socket in VAR_DIR, started by
# whichever process needs it first (authsvc/embedded_redis.py).
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 2, "SOCKET_TIMEOUT": 2},
        }
    }
else:
    CACHES = {"default": embedded_redis.cache_config(VAR_DIR)}
# A REDIS_URL whose maxmemory-policy evicts keys is a warning at start and in /readyz
# (authsvc/redis_eviction.py); with this set, every process refuses to start on one instead.
AUTHSVC_REQUIRE_REDIS_NOEVICTION = env_bool("AUTHSVC_REQUIRE_REDIS_NOEVICTION", False)

# --- mail ------------------------------------------------------------------------------
EMAIL_URL = os.environ.get("EMAIL_URL", "console://")
_email = email_settings(EMAIL_URL)
globals().update(_email)  # EMAIL_BACKEND, EMAIL_HOST, ...
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "authsvc <no-reply@localhost>")
# A relay that stops answering must not hold a worker forever (dj-email-url leaves it unset).
EMAIL_TIMEOUT = _email["EMAIL_TIMEOUT"] or env_int("AUTHSVC_MAIL_TIMEOUT_SECONDS", 30, minimum=1)
# Mail's delivery policy (accounts.outbox; the engine: delivery.services): retries double from
# RETRY_SECONDS up to RETRY_MAX_SECONDS, with jitter; a mail not sent MAX_AGE_SECONDS after it was queued fails (audited, admin dead letters).
AUTHSVC_MAIL_RETRY_SECONDS = env_int("AUTHSVC_MAIL_RETRY_SECONDS", 30, minimum=1)
AUTHSVC_MAIL_RETRY_MAX_SECONDS = env_int("AUTHSVC_MAIL_RETRY_MAX_SECONDS", 3600, minimum=1)
AUTHSVC_MAIL_MAX_AGE_SECONDS = env_int("AUTHSVC_MAIL_MAX_AGE_SECONDS", 24 * 3600, minimum=1)
# How long a worker holds a mail it is sending before another may take it (it died, or hangs).
AUTHSVC_MAIL_LEASE_SECONDS = env_int("AUTHSVC_MAIL_LEASE_SECONDS", 2 * EMAIL_TIMEOUT + 30, minimum=1)
AUTHSVC_MAIL_SWEEP_SECONDS = env_int("AUTHSVC_MAIL_SWEEP_SECONDS", 60, minimum=1)
if AUTHSVC_MAIL_RETRY_MAX_SECONDS < AUTHSVC_MAIL_RETRY_SECONDS:
    raise ImproperlyConfigured("AUTHSVC_MAIL_RETRY_MAX_SECONDS must be at least AUTHSVC_MAIL_RETRY_SECONDS")

# --- webhooks (the webhooks app; the engine: delivery.services) --------------------------
# Each attempt's time limit (connect, send, read the answer), and the delivery policy: retries
# double from RETRY_SECONDS up to RETRY_MAX_SECONDS, with jitter; a message not delivered
# MAX_AGE_SECONDS after its event fails (audited as webhook_delivery, admin dead letters).
AUTHSVC_WEBHOOK_TIMEOUT_SECONDS = env_int("AUTHSVC_WEBHOOK_TIMEOUT_SECONDS", 10, minimum=1)
AUTHSVC_WEBHOOK_RETRY_SECONDS = env_int("AUTHSVC_WEBHOOK_RETRY_SECONDS", 15, minimum=1)
AUTHSVC_WEBHOOK_RETRY_MAX_SECONDS = env_int("AUTHSVC_WEBHOOK_RETRY_MAX_SECONDS", 2 * 3600, minimum=1)
AUTHSVC_WEBHOOK_MAX_AGE_SECONDS = env_int("AUTHSVC_WEBHOOK_MAX_AGE_SECONDS", 3 * 24 * 3600, minimum=1)
AUTHSVC_WEBHOOK_LEASE_SECONDS = env_int("AUTHSVC_WEBHOOK_LEASE_SECONDS", 2 * AUTHSVC_WEBHOOK_TIMEOUT_SECONDS + 30, minimum=1)
AUTHSVC_WEBHOOK_SWEEP_SECONDS = env_int("AUTHSVC_WEBHOOK_SWEEP_SECONDS", 60, minimum=1)
# A webhook is disabled (audited, shown in the API and the admin) after this many failed
# attempts in a row, the first of them at least DISABLE_AFTER_SECONDS ago: a receiver down for
# a day, not one that missed a burst. Any delivered message ends the run.
AUTHSVC_WEBHOOK_DISABLE_AFTER_FAILURES = env_int("AUTHSVC_WEBHOOK_DISABLE_AFTER_FAILURES", 20, minimum=1)
AUTHSVC_WEBHOOK_DISABLE_AFTER_SECONDS = env_int("AUTHSVC_WEBHOOK_DISABLE_AFTER_SECONDS", 24 * 3600)
# How long a process remembers which webhooks a client has (their changes made in that process
# apply at once); publishing an event for a client without any then costs no query.
AUTHSVC_WEBHOOK_CACHE_SECONDS = env_int("AUTHSVC_WEBHOOK_CACHE_SECONDS", 5)
if AUTHSVC_WEBHOOK_RETRY_MAX_SECONDS < AUTHSVC_WEBHOOK_RETRY_SECONDS:
    raise ImproperlyConfigured("AUTHSVC_WEBHOOK_RETRY_MAX_SECONDS must be at least AUTHSVC_WEBHOOK_RETRY_SECONDS")

# A client's own SMTP server (tenants.smtp) is refused when its host is or resolves to a loopback,
# private, link-local or otherwise non-public address, at set time and at each send; "1" allows
# them: the operator's switch for tests and private networks.
AUTHSVC_SMTP_ALLOW_PRIVATE = env_bool("AUTHSVC_SMTP_ALLOW_PRIVATE", False)

# --- secrets at rest (crypto/sealed.py) ------------------------------------------------
# Comma-separated Fernet keys: the first seals, every one unseals (rotation: a new key first, the
# old ones after it, then `manage.py reseal_secrets`, then drop the old ones). Unset in development:
# one key derived from SECRET_KEY, so `make run` needs nothing. Unset in production: no start-up
# refusal (a deployment that stores no secret needs none); storing a secret answers 503 saying
# what to set, and `manage.py check` warns (crypto/checks.py).
AUTHSVC_SEALING_KEYS = env_list("AUTHSVC_SEALING_KEYS")
if _sealing_problem := sealing_keys_problem(AUTHSVC_SEALING_KEYS):
    raise ImproperlyConfigured(f"AUTHSVC_SEALING_KEYS: {_sealing_problem}.")
if not AUTHSVC_SEALING_KEYS and DEBUG:
    AUTHSVC_SEALING_KEYS = [sealing_key_from_secret(SECRET_KEY)]

# --- webhooks --------------------------------------------------------------------------
# Deliveries to URLs a client gave us go only to public addresses (delivery.safe_http); "1" lets
# them reach loopback and private networks: the operator's switch for tests and private setups.
AUTHSVC_WEBHOOK_ALLOW_PRIVATE = env_bool("AUTHSVC_WEBHOOK_ALLOW_PRIVATE", False)

# --- passwords -------------------------------------------------------------------------
# The first hashes every password we set; the others only check hashes brought by an import
# (accounts/imported_hashes.py), each replaced by one of the first at its user's next login.
PASSWORD_HASHERS = [
    "accounts.hashers.ConfigurableBCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "accounts.hashers.ImportedBCryptPasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- HTTP ------------------------------------------------------------------------------
DATA_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024
# POST users/import alone takes a larger body (authsvc.middleware asks the view): NDJSON of at most
# this many bytes and non-blank lines, of which at most AUTHSVC_IMPORT_MAX_CLEAR_PASSWORDS give a
# password in clear (each one a bcrypt hash at our rounds: ~0.25 s at 12). Larger files go through
# `manage.py import_users`, which has no bound.
AUTHSVC_IMPORT_MAX_BYTES = env_int("AUTHSVC_IMPORT_MAX_BYTES", 5 * 1000 * 1000, minimum=DATA_UPLOAD_MAX_MEMORY_SIZE)
AUTHSVC_IMPORT_MAX_LINES = env_int("AUTHSVC_IMPORT_MAX_LINES", 10_000, minimum=1)
AUTHSVC_IMPORT_MAX_CLEAR_PASSWORDS = env_int("AUTHSVC_IMPORT_MAX_CLEAR_PASSWORDS", 50, minimum=0)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["authsvc.parsers.StrictJSONParser"],
    "EXCEPTION_HANDLER": "authsvc.exceptions.api_exception_handler",
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "authsvc API",
    "DESCRIPTION": (
        "Multi-tenant login and registration. Register a client once, then call the per-client "
        "endpoints with the access key it was given: `Authorization: Bearer {access_key}`. Every "
        'error body is `{"error": "{code}", "detail": "{text}"}` plus `fields` on validation errors. '
        "Send the end user's address and browser in `X-End-User-IP` and `X-End-User-Agent`: per-IP "
        "rate limits and audit records use them."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Served pages load nothing from another host: Swagger UI's default validator badge is an
    # image from validator.swagger.io, and Redoc's default fonts come from Google.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    # One class per operation, several on one path (core.routing.by_method).
    "PREPROCESSING_HOOKS": ["core.routing.split_by_method"],
    # The areas operations are grouped by, described (clientapi.openapi.TAGS).
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "clientapi.openapi.describe_tags", "clientapi.openapi.close_strict_bodies"],
    "REDOC_UI_SETTINGS": {
        "theme": {
            "typography": {
                "fontFamily": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
                "headings": {"fontFamily": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"},
            }
        }
    },
    "COMPONENT_SPLIT_REQUEST": True,
}

# Messages stay server-side: a cookie is readable by the browser (and its extensions) and
# outlives the page. Newly issued access keys never go into a message at all (tenants/admin.py).
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns at every start without it
# Serve admin and Swagger UI assets straight from the apps under gunicorn too;
# `collectstatic` remains the faster option for production.
WHITENOISE_USE_FINDERS = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"without_query_strings": {"()": "authsvc.log_filters.WithoutQueryStrings"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "django.server": {"()": "django.utils.log.ServerFormatter", "format": "[{server_time}] {message}", "style": "{"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
        "django.server": {"class": "logging.StreamHandler", "formatter": "django.server"},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("AUTHSVC_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.request": {"level": "ERROR"},
        # runserver's request lines, as Django logs them by default but without query strings:
        # a mailed link's token is one (authsvc/log_filters.py).
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False, "filters": ["without_query_strings"]},
    },
}

# --- HTTPS (manage.py check --deploy passes with the production profile in README) --------
# Behind TLS the browser only ever sees https, so cookies never travel in the clear.
SESSION_COOKIE_SECURE = PUBLIC_URL_IS_HTTPS
CSRF_COOKIE_SECURE = PUBLIC_URL_IS_HTTPS
# The admin's forms post from the public origin, which a proxy may rewrite.
CSRF_TRUSTED_ORIGINS = [
    PUBLIC_URL_ORIGIN,
    *(url_origin("AUTHSVC_CSRF_TRUSTED_ORIGINS", origin) for origin in env_list("AUTHSVC_CSRF_TRUSTED_ORIGINS")),
]
# HSTS is sent on https responses only; preload and subdomains are hard to undo, so opt-in.
SECURE_HSTS_SECONDS = env_int("AUTHSVC_HSTS_SECONDS", 31536000 if PUBLIC_URL_IS_HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("AUTHSVC_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("AUTHSVC_HSTS_PRELOAD", False)
SECURE_SSL_REDIRECT = env_bool("AUTHSVC_SSL_REDIRECT", False)
if SECURE_SSL_REDIRECT and not PUBLIC_URL_IS_HTTPS:
    raise ImproperlyConfigured("AUTHSVC_SSL_REDIRECT=1 needs an https:// AUTHSVC_PUBLIC_URL.")
# A load balancer's health checks speak plain http to the instance.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
# Only a proxy that sets the header itself (and drops the client's) may be believed.
if env_bool("AUTHSVC_TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- Content-Security-Policy (django-csp) -------------------------------------------------
# Every page loads scripts, styles, images and fonts from this host only, and none inline: markup
# slipped into a page (a client's name, say) can neither run a script nor restyle the password form,
# and nothing is fetched from another host. Swagger UI and Redoc add what they need (authsvc/api_docs.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [NONE],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}
