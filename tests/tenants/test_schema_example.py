"""The docs page's custom_fields example is worked out whenever a schema is saved, by every surface."""

import importlib
import json

import pytest
from django.apps import apps

from tenants.models import Client
from tests.conftest import make_tenant

pytestmark = pytest.mark.django_db(transaction=True)

PLAN_SCHEMA = {"type": "object", "properties": {"plan": {"enum": ["free", "pro"]}, "seats": {"type": "integer", "minimum": 1}}}
PLAN_EXAMPLE = {"plan": "free", "seats": 1}
CODE_SCHEMA = {"type": "object", "properties": {"code": {"type": "string", "pattern": "^[0-9]{6}$"}}, "required": ["code"]}


def stored_example(client_id) -> dict | None:
    return Client.objects.get(pk=client_id).custom_fields_example


@pytest.mark.parametrize(
    ("schema", "example"),
    [(PLAN_SCHEMA, PLAN_EXAMPLE), (CODE_SCHEMA, None), (None, None)],
    ids=["a guess the schema accepts", "a guess it refuses", "no schema"],
)
def test_registration_stores_the_example_with_the_schema(post_json, schema, example):
    """POST clients/register keeps the example the schema accepts, or none."""
    response = post_json("/api/v1/clients/register", {"client_name": "Example Co", "industry": "SaaS", "custom_fields_schema": schema})
    assert response.status_code == 201, response.content
    assert stored_example(response.json()["client_id"]) == example


def test_the_admin_add_form_stores_the_example(staff_client):
    """A client added by staff gets its example with its schema."""
    staff_client.post(
        "/admin/tenants/client/add/",
        {"client_name": "Admin Co", "industry": "SaaS", "custom_fields_schema": json.dumps(PLAN_SCHEMA), "rate_limits": ""},
    )
    assert Client.objects.get(client_name="Admin Co").custom_fields_example == PLAN_EXAMPLE


def test_the_admin_change_form_works_the_example_out_again(staff_client, tenant):
    """Staff replacing a client's schema replace its example; removing the schema removes it."""
    change = f"/admin/tenants/client/{tenant.client.pk}/change/"
    form = {"client_name": "Acme", "industry": "SaaS", "rate_limits": "", "access_keys-TOTAL_FORMS": "0", "access_keys-INITIAL_FORMS": "0"}

    assert staff_client.post(change, {**form, "custom_fields_schema": json.dumps(PLAN_SCHEMA)}).status_code == 302
    assert stored_example(tenant.client.pk) == PLAN_EXAMPLE
    assert staff_client.post(change, {**form, "custom_fields_schema": "null"}).status_code == 302
    assert stored_example(tenant.client.pk) is None


def test_the_migration_works_out_the_examples_of_existing_clients():
    """Clients saved before the field existed get the example their page showed until then."""
    migration = importlib.import_module("tenants.migrations.0008_client_custom_fields_example")
    planned, plain = make_tenant("Planned", custom_fields_schema=PLAN_SCHEMA), make_tenant("Plain")
    Client.objects.update(custom_fields_example=None)  # as the migration finds them

    migration.work_out_examples(apps, None)

    assert stored_example(planned.client.pk) == PLAN_EXAMPLE
    assert stored_example(plain.client.pk) is None
