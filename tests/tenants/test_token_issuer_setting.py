"""`Client.token_issuer`: new clients get an issuer of their own unless they ask for the service's; clients
that existed before the setting keep the service's, which their verifiers are configured with."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tenants.key_cache import access_key_cache
from tenants.models import Client
from tests.audit.conftest import records_written_by
from tests.conftest import make_tenant

pytestmark = pytest.mark.django_db(transaction=True)

REGISTER = "/api/v1/clients/register"
BEFORE_THE_SETTING = [("tenants", "0008_client_custom_fields_example")]


@pytest.mark.parametrize(("sent", "stored"), [({}, "client"), ({"token_issuer": "client"}, "client"), ({"token_issuer": "service"}, "service")])
def test_a_client_chooses_its_issuer_when_it_registers_and_reads_it_back(post_json, api, sent, stored):
    """Registration takes `token_issuer` (default `client`); GET /api/v1/<client_id>/ shows it."""
    response = post_json(REGISTER, {"client_name": "Initech", "industry": "SaaS", **sent})
    assert response.status_code == 201
    body = response.json()
    assert Client.objects.get(pk=body["client_id"]).token_issuer == stored
    settings_read = api.get(f"/api/v1/{body['client_id']}/", HTTP_AUTHORIZATION=f"Bearer {body['access_key']}")
    assert settings_read.json()["token_issuer"] == stored


@pytest.mark.store_independent
@pytest.mark.parametrize("value", ["tenant", "", 1, None])
def test_an_unknown_issuer_choice_is_refused_naming_the_field(post_json, value):
    """Only `client` or `service`: anything else is a 400 under `fields.token_issuer`, and no client is made."""
    response = post_json(REGISTER, {"client_name": "Initech", "industry": "SaaS", "token_issuer": value})
    assert response.status_code == 400
    assert "token_issuer" in response.json()["fields"]
    assert not Client.objects.exists()


@pytest.mark.parametrize(("option", "stored"), [([], "client"), (["--token-issuer", "service"], "service")])
def test_create_client_takes_the_issuer_too(option, stored):
    """`manage.py create_client --token-issuer service` makes a client on the service's issuer; the default is its own."""
    call_command("create_client", "--name", "Acme", "--industry", "SaaS", *option, stdout=StringIO())
    assert Client.objects.get(client_name="Acme").token_issuer == stored


def test_clients_that_existed_before_the_setting_keep_the_service_issuer(transactional_db):
    """Migration 0009 gives rows of before it `service`, so their tokens' `iss` does not change under their verifiers."""
    existing = make_tenant("Old Co")
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    MigrationExecutor(connection).migrate(BEFORE_THE_SETTING)
    MigrationExecutor(connection).migrate(latest)
    access_key_cache.clear()  # the remembered client was read before the migrations

    assert Client.objects.get(pk=existing.client.pk).token_issuer == "service"
    assert make_tenant("New Co").client.token_issuer == "client"


def post_change_form(staff_client, client: Client, **fields):
    """The change form as staff post it, everything else left as it is."""
    form = {
        "client_name": client.client_name,
        "industry": client.industry,
        "custom_fields_schema": "null",
        "rate_limits": "null",
        "access_keys-TOTAL_FORMS": "0",
        "access_keys-INITIAL_FORMS": "0",
        **fields,
    }
    return staff_client.post(f"/admin/tenants/client/{client.pk}/change/", form)


@pytest.mark.parametrize(("sent", "stored", "recorded"), [({}, "service", []), ({"token_issuer": "client"}, "client", ["token_issuer"])])
def test_staff_switch_the_issuer_only_by_choosing_it(staff_client, sent, stored, recorded):
    """The change form switches the issuer (recorded as a change); a post without the field keeps it and records nothing."""
    tenant = make_tenant("Old Co", token_issuer="service")
    response, records = records_written_by(lambda: post_change_form(staff_client, tenant.client, **sent))
    assert response.status_code == 302
    assert Client.objects.get(pk=tenant.client.pk).token_issuer == stored
    assert [record.metadata["fields"] for record in records if record.action == "client_update"] == ([recorded] if recorded else [])
