"""Per-client collections: created with a unique email index, idempotent, repairable, separate."""

from io import StringIO

import pytest
from django.apps.registry import Apps
from django.conf import settings
from django.core.management import call_command
from django.db import IntegrityError, connections

from tenants.evolution import database_of
from tenants.models import AbstractTenantUser, Client, UsersTableVersion
from tenants.provisioning import (
    ProvisionOutcome,
    drop_user_collection,
    has_unique_email_index,
    provision_user_collection,
    tenant_table_exists,
)
from tenants.user_models import user_model_for, users_table_name
from tenants.users_table_steps import USERS_TABLE

pytestmark = pytest.mark.django_db(transaction=True)


def tenant_connection():
    return connections[settings.AUTHSVC_TENANT_DATABASE]


def add_user(client_id, email: str = "ada@example.com"):
    return user_model_for(client_id).objects.create(email=email, password_hash="x")


def recreate_without_email_index(client_id) -> None:
    """Leave the collection as a half-finished provisioning would: present, but with no unique index.

    (SQLite cannot drop an inline UNIQUE constraint; rebuilding the table from a model without
    it gives the same state on every store.)
    """
    meta = type("Meta", (), {"app_label": "unindexed_users", "apps": Apps(), "db_table": users_table_name(client_id)})
    unindexed = type("UnindexedUser", (AbstractTenantUser,), {"__module__": __name__, "Meta": meta})
    drop_user_collection(client_id)
    with tenant_connection().schema_editor() as editor:
        editor.create_model(unindexed)


def test_registration_over_the_api_provisions_the_collection(post_json):
    """After POST register the client's users_<hex> collection exists with a unique email index."""
    client_id = post_json("/api/v1/clients/register", {"client_name": "Acme", "industry": "SaaS"}).json()["client_id"]
    table = users_table_name(Client.objects.get(pk=client_id).client_id)

    assert table == f"users_{client_id.replace('-', '')}"
    assert tenant_table_exists(tenant_connection(), table)
    assert has_unique_email_index(tenant_connection(), table)


def test_duplicate_email_in_one_collection_is_refused_by_the_store(tenant):
    """The unique index, not only application code, refuses a second user with the same email."""
    add_user(tenant.client.client_id)

    with pytest.raises(IntegrityError):
        add_user(tenant.client.client_id)
    assert user_model_for(tenant.client.client_id).objects.count() == 1


def test_provisioning_again_changes_nothing(tenant):
    """Re-running provisioning on a complete collection answers UNCHANGED and keeps its users."""
    user = add_user(tenant.client.client_id)

    assert provision_user_collection(tenant.client) is ProvisionOutcome.UNCHANGED
    assert provision_user_collection(tenant.client) is ProvisionOutcome.UNCHANGED

    model = user_model_for(tenant.client.client_id)
    assert list(model.objects.values_list("user_id", "email")) == [(user.user_id, "ada@example.com")]


def test_provisioning_restores_a_dropped_email_index(tenant):
    """A collection that lost its unique index gets it back (REPAIRED), users kept."""
    client_id = tenant.client.client_id
    recreate_without_email_index(client_id)
    add_user(client_id)
    assert not has_unique_email_index(tenant_connection(), users_table_name(client_id))

    assert provision_user_collection(tenant.client) is ProvisionOutcome.REPAIRED

    assert has_unique_email_index(tenant_connection(), users_table_name(client_id))
    assert user_model_for(client_id).objects.filter(email="ada@example.com").count() == 1
    with pytest.raises(IntegrityError):
        add_user(client_id)


def test_provisioning_recreates_a_dropped_collection(tenant):
    """A client whose collection is gone gets a new one with its index (CREATED)."""
    client_id = tenant.client.client_id
    assert drop_user_collection(client_id) is True
    assert not tenant_table_exists(tenant_connection(), users_table_name(client_id))

    assert provision_user_collection(tenant.client) is ProvisionOutcome.CREATED

    assert tenant_table_exists(tenant_connection(), users_table_name(client_id))
    assert has_unique_email_index(tenant_connection(), users_table_name(client_id))


def test_two_clients_have_separate_collections(tenant, other_tenant):
    """A user of client A is invisible to client B, and B may hold the same email independently."""
    a, b = tenant.client.client_id, other_tenant.client.client_id
    add_user(a)

    assert user_model_for(b).objects.count() == 0
    assert not user_model_for(b).objects.filter(email="ada@example.com").exists()

    add_user(b)
    assert user_model_for(a).objects.count() == 1
    assert user_model_for(b).objects.count() == 1
    assert users_table_name(a) != users_table_name(b)


def as_first_released(client) -> None:
    """Take the client's table back to version 0 (the later fields removed) and forget its recorded
    version, as a table made by a release before versions were recorded."""
    with database_of(user_model_for(client)).schema_editor() as editor:
        for step in reversed(USERS_TABLE.steps):
            model = USERS_TABLE.model_at(step.number, client)
            editor.remove_field(model, model._meta.get_field(step.operation.name))
    UsersTableVersion.objects.filter(pk=client.client_id).delete()


def test_a_table_from_an_older_release_is_upgraded_by_provision_tenants(tenant, api):
    """A users table as the first release made it gets `token_generation` and `mfa` from `provision_tenants`
    (reported upgraded): its user reads 0 and {}, its token still verifies, and the API answers as before."""
    from tests.accounts.conftest import sign_up

    user = sign_up(tenant)
    before = api.get(tenant.url(f"users/{user.user_id}"), **tenant.auth).json()
    as_first_released(tenant.client)

    out = StringIO()
    call_command("provision_tenants", tenant.client_id, stdout=out)

    assert f"upgraded  {tenant.client_id}  Acme" in out.getvalue()
    assert UsersTableVersion.objects.get(pk=tenant.client.client_id).version == USERS_TABLE.latest
    row = user_model_for(tenant.client).objects.get(pk=user.user_id)
    assert (row.current_token_generation, row.mfa) == (0, {})
    response = api.post(tenant.url("token/verify"), {"token": user.access_token}, format="json", **tenant.auth)
    assert response.json()["active"] is True
    assert api.get(tenant.url(f"users/{user.user_id}"), **tenant.auth).json() == before
