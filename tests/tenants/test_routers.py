"""The database router: a client's user model to the database its record names, no opinion on anything
else (Django then uses default), and no migrations of users tables."""

import re
import sqlite3
import uuid

import pytest
from django.contrib.auth.models import Permission
from django.db import router

from tenants.models import AccessKey, Client, UsersTableVersion
from tenants.routers import TenantRouter
from tenants.user_models import user_model_for
from tenants.users_table_steps import USERS_TABLE

CENTRAL_MODELS = [Client, AccessKey, UsersTableVersion, Permission]


def placed_client(users_database: str) -> Client:
    return Client(client_id=uuid.uuid4(), client_name="Placed", industry="SaaS", users_database=users_database)


@pytest.fixture
def tenant_model():
    return user_model_for(uuid.uuid4())


@pytest.mark.parametrize("alias", ["default", "tenants"])
def test_a_clients_user_model_goes_to_the_database_its_record_names(alias):
    """Reads and writes of a client's users go to its `users_database`, through django.db.router too."""
    model = user_model_for(placed_client(alias))

    assert TenantRouter().db_for_read(model) == TenantRouter().db_for_write(model) == alias
    assert router.db_for_read(model) == router.db_for_write(model) == alias


def test_the_record_decides_not_the_current_setting(settings):
    """A client recorded on default stays there when AUTHSVC_TENANT_DATABASE later names another alias,
    which only new clients get."""
    recorded = placed_client("default")
    settings.AUTHSVC_TENANT_DATABASE = "tenants"

    assert router.db_for_write(user_model_for(recorded)) == "default"
    assert Client(client_name="New", industry="SaaS").users_database == "tenants"


@pytest.mark.parametrize("model", CENTRAL_MODELS, ids=lambda model: model.__name__)
def test_central_models_get_no_opinion_and_land_on_default(settings, model):
    """The router answers None for central and contrib models, and Django sends them to default."""
    settings.AUTHSVC_TENANT_DATABASE = "tenants"

    assert TenantRouter().db_for_read(model) is None
    assert TenantRouter().db_for_write(model) is None
    assert router.db_for_read(model) == router.db_for_write(model) == "default"


@pytest.mark.parametrize("alias", ["default", "tenants"])
def test_migrate_never_touches_tenant_user_models(tenant_model, alias):
    """allow_migrate is False for a tenant user model on any database."""
    label = tenant_model._meta.app_label
    assert TenantRouter().allow_migrate(alias, label, model_name=tenant_model._meta.model_name, model=tenant_model) is False
    assert router.allow_migrate_model(alias, tenant_model) is False


@pytest.mark.parametrize("model", CENTRAL_MODELS, ids=lambda model: model.__name__)
def test_central_models_migrate_only_on_default(model):
    """Central tables are migrated on default and not on a database that holds users tables."""
    assert router.allow_migrate_model("default", model) is True
    assert router.allow_migrate_model("tenants", model) is False


@pytest.mark.embedded_default
def test_a_client_created_with_a_separate_tenant_database_is_placed_and_provisioned_there(fresh_manage, tmp_path):
    """With AUTHSVC_TENANT_DATABASE=users, create_client records `users` as the client's database and its users
    table (with its recorded version) is made there, not on default."""
    users_file = tmp_path / "users.sqlite3"
    placement = {"AUTHSVC_TENANT_DATABASE": "users", "DATABASE_URL_USERS": f"sqlite:///{users_file}"}
    fresh_manage("migrate", "--noinput", **placement)

    created = fresh_manage("create_client", "--name", "Placed", "--industry", "SaaS", **placement)

    client_id = uuid.UUID(re.search(r"^client_id:\s+(\S+)$", created, re.MULTILINE)[1])
    table = f"users_{client_id.hex}"
    with sqlite3.connect(tmp_path / "db.sqlite3") as default, sqlite3.connect(users_file) as users:
        recorded = default.execute(
            "SELECT users_database, version FROM clients JOIN users_table_versions USING (client_id) WHERE client_id = ?",
            (client_id.hex,),
        ).fetchall()
        tables = [database.execute("SELECT name FROM sqlite_master WHERE name = ?", (table,)).fetchall() for database in (default, users)]
    default.close()
    users.close()
    assert recorded == [("users", USERS_TABLE.latest)]
    assert tables == [[], [(table,)]]
