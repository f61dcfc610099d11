"""Settings read from the environment: refusals at start-up, MongoDB switches, migrations in step.

Settings are read once per process, so each case starts Django in a fresh interpreter with
a clean environment (about a second each: keep this list short).
"""

import json
import os
import subprocess

import pytest

from authsvc.public_url import record_public_url
from tests.authsvc.conftest import STRONG_KEY

# A Fernet key for these fresh processes only.
SEALING_KEY = "Gm4p6Xw0o9N3uB0bqzX0yq0m1jH0H5dY4VtYQ8aQ0qM="

PRINT_SETTINGS = """
import json, django
django.setup()
from django.conf import settings
print(json.dumps({
    "INSTALLED_APPS": settings.INSTALLED_APPS,
    "MIGRATION_MODULES": settings.MIGRATION_MODULES,
    "DEFAULT_AUTO_FIELD": settings.DEFAULT_AUTO_FIELD,
    "DATABASES": {alias: db["ENGINE"] for alias, db in settings.DATABASES.items()},
    "SEALING_KEYS": len(settings.AUTHSVC_SEALING_KEYS),
}))
"""


def printed_settings(result: subprocess.CompletedProcess) -> dict:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"DJANGO_SECRET_KEY": "short-but-not-empty"}, "DJANGO_SECRET_KEY is weak"),
        ({"DJANGO_SECRET_KEY": "ab" * 40}, "DJANGO_SECRET_KEY is weak"),
        ({"DJANGO_SECRET_KEY": "django-insecure-" + STRONG_KEY}, "DJANGO_SECRET_KEY is weak"),
        ({"DJANGO_DEBUG": "1", "AUTHSVC_SSL_REDIRECT": "1"}, "needs an https:// AUTHSVC_PUBLIC_URL"),
        ({"DJANGO_DEBUG": "1", "DATABASE_URL": "mongodb://h/"}, "must name its database"),
        ({"DJANGO_DEBUG": "1", "AUTHSVC_TENANT_DATABASE": "tenants"}, "DATABASE_URL_TENANTS"),
        ({"DJANGO_DEBUG": "1", "AUTHSVC_RATE_LOGIN_IP": "100/0m"}, "AUTHSVC_RATE_LOGIN_IP: the period must be 1s to 31d"),
        ({"DJANGO_DEBUG": "1", "AUTHSVC_JWT_KEY_STAGE_SECONDS": "60"}, "AUTHSVC_JWT_KEY_STAGE_SECONDS must be at least 300"),
        ({"DJANGO_DEBUG": "1", "AUTHSVC_SEALING_KEYS": f"{SEALING_KEY},typo"}, "AUTHSVC_SEALING_KEYS: key 2 of 2 is not a Fernet key"),
        (
            {"DJANGO_DEBUG": "1", "AUTHSVC_WEBHOOK_RETRY_SECONDS": "600", "AUTHSVC_WEBHOOK_RETRY_MAX_SECONDS": "60"},
            "AUTHSVC_WEBHOOK_RETRY_MAX_SECONDS must be at least AUTHSVC_WEBHOOK_RETRY_SECONDS",
        ),
    ],
    ids=[
        "weak-key-too-short",
        "weak-key-too-few-characters",
        "weak-key-django-insecure",
        "ssl-redirect-without-https",
        "mongodb-url-without-database",
        "tenant-alias-without-url",
        "rate-with-a-zero-period",
        "key-staged-shorter-than-the-jwks-cache",
        "sealing-key-malformed",
        "webhook-retries-shrinking",
    ],
)
@pytest.mark.embedded_default
def test_settings_refuse_to_start_when_misconfigured(run_django, variables, message):
    """A configuration that cannot be right stops Django at start-up with ImproperlyConfigured."""
    result = run_django("-c", PRINT_SETTINGS, **variables)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


@pytest.mark.embedded_default
def test_debug_mode_starts_with_the_embedded_defaults(run_django):
    """With DJANGO_DEBUG=1 and nothing else set, Django starts on SQLite with the stock contrib apps, and
    a sealing key derived from the secret key (make run stores a client's SMTP URL with nothing set)."""
    loaded = printed_settings(run_django("-c", PRINT_SETTINGS, DJANGO_DEBUG="1"))

    assert loaded["DATABASES"] == {"default": "django.db.backends.sqlite3"}
    assert loaded["SEALING_KEYS"] == 1
    assert "django.contrib.auth" in loaded["INSTALLED_APPS"]
    assert loaded["MIGRATION_MODULES"] == {}


@pytest.mark.embedded_default
def test_mongodb_url_switches_contrib_apps_and_migrations(run_django):
    """A MongoDB DATABASE_URL selects the backend, the Mongo contrib and axes AppConfigs and their migrations."""
    loaded = printed_settings(
        run_django(
            "-c",
            PRINT_SETTINGS,
            DJANGO_DEBUG="0",
            DJANGO_SECRET_KEY=STRONG_KEY,
            AUTHSVC_PUBLIC_URL="https://auth.example.com",
            DATABASE_URL="mongodb://127.0.0.1:1/authsvc",
        )
    )

    assert loaded["DATABASES"] == {"default": "django_mongodb_backend"}
    assert loaded["DEFAULT_AUTO_FIELD"] == "django_mongodb_backend.fields.ObjectIdAutoField"
    for config in ("MongoAdminConfig", "MongoAuthConfig", "MongoContentTypesConfig", "MongoAxesConfig"):
        assert f"authsvc.apps.{config}" in loaded["INSTALLED_APPS"]
    assert "django.contrib.auth" not in loaded["INSTALLED_APPS"]
    assert "axes" not in loaded["INSTALLED_APPS"]
    assert loaded["MIGRATION_MODULES"] == {
        "admin": "authsvc.mongo_migrations.admin",
        "auth": "authsvc.mongo_migrations.auth",
        "contenttypes": "authsvc.mongo_migrations.contenttypes",
        "axes": "authsvc.mongo_migrations.axes",
    }


@pytest.mark.embedded_default
def test_models_have_no_missing_migrations(run_django):
    """makemigrations --check finds nothing to add: models and migrations agree."""
    result = run_django("manage.py", "makemigrations", "--check", "--dry-run", DJANGO_DEBUG="1")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "No changes detected" in result.stdout


def test_a_sqlite_file_database_journals_in_wal_mode(tmp_path, django_db_blocker):
    """A SQLite file named by DATABASE_URL opens in WAL mode with synchronous=NORMAL, so commits skip the fsync."""
    from django.db.utils import ConnectionHandler

    from authsvc.settings import database_from_url

    connection = ConnectionHandler({"default": database_from_url(f"sqlite:///{tmp_path}/wal.sqlite3")})["default"]
    with django_db_blocker.unblock():
        try:
            with connection.cursor() as cursor:
                journal = cursor.execute("PRAGMA journal_mode").fetchone()[0]
                synchronous = cursor.execute("PRAGMA synchronous").fetchone()[0]
        finally:
            connection.close()

    assert (journal, synchronous) == ("wal", 1)  # 1 = NORMAL


# README "Production profile": the variables `manage.py check --deploy` needs to pass clean.
PRODUCTION_PROFILE = {
    "DJANGO_SECRET_KEY": STRONG_KEY,
    "DJANGO_ALLOWED_HOSTS": "auth.example.com",
    "AUTHSVC_PUBLIC_URL": "https://auth.example.com",
    "AUTHSVC_SSL_REDIRECT": "1",
    "AUTHSVC_TRUST_X_FORWARDED_PROTO": "1",
    "AUTHSVC_HSTS_INCLUDE_SUBDOMAINS": "1",
    "AUTHSVC_HSTS_PRELOAD": "1",
    "AUTHSVC_SEALING_KEYS": SEALING_KEY,
}


@pytest.mark.embedded_default
def test_the_production_profile_passes_check_deploy_without_a_warning(run_django):
    """`manage.py check --deploy --fail-level WARNING` exits 0 and reports nothing with the documented profile."""
    result = run_django(
        "manage.py",
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        **PRODUCTION_PROFILE,
        DATABASE_URL=os.environ["DATABASE_URL"],
        REDIS_URL=os.environ["REDIS_URL"],
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNING" not in result.stdout + result.stderr


@pytest.mark.embedded_default
def test_check_deploy_warns_when_production_has_no_sealing_keys(run_django):
    """The same profile without AUTHSVC_SEALING_KEYS starts, and check --deploy warns (crypto.W001), saying what to set."""
    profile = {name: value for name, value in PRODUCTION_PROFILE.items() if name != "AUTHSVC_SEALING_KEYS"}
    result = run_django("manage.py", "check", "--deploy", **profile, DATABASE_URL=os.environ["DATABASE_URL"], REDIS_URL=os.environ["REDIS_URL"])

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "(crypto.W001) AUTHSVC_SEALING_KEYS is not set" in output
    assert "System check identified 1 issue" in output


NO_PUBLIC_URL = "AUTHSVC_PUBLIC_URL is not set and DJANGO_DEBUG is off: refusing to start"


@pytest.mark.parametrize(
    ("variables", "recorded", "starts"),
    [
        ({}, False, False),
        ({"AUTHSVC_PUBLIC_URL": "https://auth.example.com"}, False, True),
        ({}, True, True),
        ({"DJANGO_DEBUG": "1"}, False, True),
    ],
    ids=["production-without-a-url", "production-with-a-url", "beside-make-run", "debug"],
)
@pytest.mark.embedded_default
def test_production_starts_only_with_a_public_url(run_django, var_dir, variables, recorded, starts):
    """DEBUG off needs AUTHSVC_PUBLIC_URL, or the URL `make run` recorded; only DEBUG guesses http://127.0.0.1:8000."""
    if recorded:
        record_public_url(var_dir, "http://127.0.0.1:18434")
    result = run_django("manage.py", "check", DJANGO_SECRET_KEY=STRONG_KEY, **variables)

    assert (result.returncode == 0) == starts, result.stdout + result.stderr
    assert (NO_PUBLIC_URL in result.stderr) == (not starts), result.stderr


@pytest.mark.embedded_default
def test_migrate_refuses_production_without_a_public_url_too(run_django, var_dir):
    """Every command, not only the server: the message names the variable and an example, and nothing is migrated."""
    result = run_django("manage.py", "migrate", "--noinput", DJANGO_SECRET_KEY=STRONG_KEY)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert NO_PUBLIC_URL in result.stderr and "AUTHSVC_PUBLIC_URL=https://auth.example.com" in result.stderr
    assert not (var_dir / "authsvc.sqlite3").exists()


PRINT_HTTPS_SETTINGS = """
import json, django
django.setup()
from django.conf import settings
print(json.dumps({
    "CSRF_TRUSTED_ORIGINS": settings.CSRF_TRUSTED_ORIGINS,
    "SECURE_PROXY_SSL_HEADER": settings.SECURE_PROXY_SSL_HEADER,
    "SECURE_HSTS_SECONDS": settings.SECURE_HSTS_SECONDS,
    "COOKIES_SECURE": [settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE],
}))
"""


@pytest.mark.embedded_default
def test_the_public_url_and_the_origins_list_are_the_trusted_csrf_origins(run_django):
    """CSRF_TRUSTED_ORIGINS holds the public URL's origin plus AUTHSVC_CSRF_TRUSTED_ORIGINS; https means secure cookies and HSTS."""
    loaded = printed_settings(
        run_django(
            "-c",
            PRINT_HTTPS_SETTINGS,
            **{
                **PRODUCTION_PROFILE,
                "AUTHSVC_PUBLIC_URL": "https://auth.example.com/base/",
                "AUTHSVC_CSRF_TRUSTED_ORIGINS": "https://admin.example.com, https://ops.example.com:8443",
            },
        )
    )

    assert loaded == {
        "CSRF_TRUSTED_ORIGINS": ["https://auth.example.com", "https://admin.example.com", "https://ops.example.com:8443"],
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
        "SECURE_HSTS_SECONDS": 31536000,
        "COOKIES_SECURE": [True, True],
    }


@pytest.mark.django_db
def test_the_https_redirect_spares_the_health_checks(api, settings):
    """With AUTHSVC_SSL_REDIRECT on, API calls over http are sent to https, a load balancer's /healthz and /readyz are not."""
    settings.SECURE_SSL_REDIRECT = True

    assert api.get("/healthz").status_code == 200
    assert api.get("/readyz").status_code == 200
    redirected = api.get("/api/v1/clients/register")
    assert redirected.status_code == 301
    assert redirected["Location"].startswith("https://")
