"""The database router: tenant user models to AUTHSVC_TENANT_DATABASE, the rest to default, no migrations."""

import uuid

import pytest
from django.contrib.auth.models import Permission
from django.db import router

from tenants.models import AccessKey, Client
from tenants.routers import TenantRouter
from tenants.user_models import user_model_for

CENTRAL_MODELS = [Client, AccessKey, Permission]


@pytest.fixture
def tenant_model():
    return user_model_for(uuid.uuid4())


@pytest.mark.parametrize("alias", ["default", "tenants"])
def test_tenant_user_models_go_to_the_tenant_database(settings, tenant_model, alias):
    """Reads and writes of a tenant user model go to whatever AUTHSVC_TENANT_DATABASE names."""
    settings.AUTHSVC_TENANT_DATABASE = alias

    assert TenantRouter().db_for_read(tenant_model) == alias
    assert TenantRouter().db_for_write(tenant_model) == alias


@pytest.mark.parametrize("model", CENTRAL_MODELS, ids=lambda model: model.__name__)
def test_central_models_stay_on_default(settings, model):
    """Central and contrib models use default even when tenants have a database of their own."""
    settings.AUTHSVC_TENANT_DATABASE = "tenants"

    assert TenantRouter().db_for_read(model) == "default"
    assert TenantRouter().db_for_write(model) == "default"


def test_project_routes_through_the_tenant_router(tenant_model):
    """django.db.router (what querysets use) applies TenantRouter as configured in settings."""
    assert router.db_for_write(tenant_model) == TenantRouter().db_for_write(tenant_model)
    assert router.db_for_read(Client) == "default"


@pytest.mark.parametrize("alias", ["default", "tenants"])
def test_migrate_never_touches_tenant_user_models(tenant_model, alias):
    """allow_migrate is False for a tenant user model on any database."""
    label = tenant_model._meta.app_label
    assert TenantRouter().allow_migrate(alias, label, model_name=tenant_model._meta.model_name, model=tenant_model) is False
    assert router.allow_migrate_model(alias, tenant_model) is False


def test_central_models_migrate_only_on_default():
    """Central tables are migrated on default and not on a separate tenant database."""
    assert TenantRouter().allow_migrate("default", "tenants", model_name="client", model=Client) is True
    assert TenantRouter().allow_migrate("tenants", "tenants", model_name="client", model=Client) is False
