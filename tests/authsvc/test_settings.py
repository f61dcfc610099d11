"""Settings read from the environment: refusals at start-up, MongoDB switches, migrations in step.

Settings are read once per process, so each case starts Django in a fresh interpreter with
a clean environment (about a second each: keep this list short).
"""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings

PRINT_SETTINGS = """
import json, django
django.setup()
from django.conf import settings
print(json.dumps({
    "INSTALLED_APPS": settings.INSTALLED_APPS,
    "MIGRATION_MODULES": settings.MIGRATION_MODULES,
    "DEFAULT_AUTO_FIELD": settings.DEFAULT_AUTO_FIELD,
    "DATABASES": {alias: db["ENGINE"] for alias, db in settings.DATABASES.items()},
}))
"""


@pytest.fixture
def run_django(tmp_path):
    """Run Python code or manage.py in a fresh process with only the given variables set."""

    def run(*args: str, **variables: str) -> subprocess.CompletedProcess:
        env = {
            "PATH": os.environ.get("PATH", ""),
            "DJANGO_SETTINGS_MODULE": "authsvc.settings",
            "AUTHSVC_VAR_DIR": str(tmp_path / "var"),
            "AUTHSVC_LOG_LEVEL": "ERROR",
            **variables,
        }
        return subprocess.run(
            [sys.executable, *args], cwd=django_settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=60
        )

    return run


def printed_settings(result: subprocess.CompletedProcess) -> dict:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"DJANGO_DEBUG": "0"}, "DJANGO_SECRET_KEY is not set"),
        ({"DJANGO_DEBUG": "1", "DATABASE_URL": "mongodb://h/"}, "must name its database"),
        ({"DJANGO_DEBUG": "1", "AUTHSVC_TENANT_DATABASE": "tenants"}, "DATABASE_URL_TENANTS"),
    ],
    ids=["production-without-secret-key", "mongodb-url-without-database", "tenant-alias-without-url"],
)
def test_settings_refuse_to_start_when_misconfigured(run_django, variables, message):
    """A configuration that cannot be right stops Django at start-up with ImproperlyConfigured."""
    result = run_django("-c", PRINT_SETTINGS, **variables)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_debug_mode_starts_with_the_embedded_defaults(run_django):
    """With DJANGO_DEBUG=1 and nothing else set, Django starts on SQLite with the stock contrib apps."""
    loaded = printed_settings(run_django("-c", PRINT_SETTINGS, DJANGO_DEBUG="1"))

    assert loaded["DATABASES"] == {"default": "django.db.backends.sqlite3"}
    assert "django.contrib.auth" in loaded["INSTALLED_APPS"]
    assert loaded["MIGRATION_MODULES"] == {}


def test_mongodb_url_switches_contrib_apps_and_migrations(run_django):
    """A MongoDB DATABASE_URL selects the backend, the Mongo contrib AppConfigs and their migrations."""
    loaded = printed_settings(
        run_django(
            "-c",
            PRINT_SETTINGS,
            DJANGO_DEBUG="0",
            DJANGO_SECRET_KEY="a-real-secret-for-this-test",
            DATABASE_URL="mongodb://127.0.0.1:1/authsvc",
        )
    )

    assert loaded["DATABASES"] == {"default": "django_mongodb_backend"}
    assert loaded["DEFAULT_AUTO_FIELD"] == "django_mongodb_backend.fields.ObjectIdAutoField"
    for config in ("MongoAdminConfig", "MongoAuthConfig", "MongoContentTypesConfig"):
        assert f"authsvc.apps.{config}" in loaded["INSTALLED_APPS"]
    assert "django.contrib.auth" not in loaded["INSTALLED_APPS"]
    assert loaded["MIGRATION_MODULES"] == {
        "admin": "authsvc.mongo_migrations.admin",
        "auth": "authsvc.mongo_migrations.auth",
        "contenttypes": "authsvc.mongo_migrations.contenttypes",
    }


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
