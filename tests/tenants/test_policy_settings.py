"""The `password_policy` and `lockout` settings (tenants/policies.py): held to their JSON Schemas at
registration, in a PATCH and in the admin, stored with every key, read back, and the defaults for
every client that existed before them."""

import json

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tenants.key_cache import access_key_cache
from tenants.models import Client
from tenants.policies import LockoutPolicy, PasswordPolicy
from tests.accounts.conftest import PASSWORD, call, sign_up
from tests.audit.conftest import records_written_by
from tests.clients.conftest import patch_settings
from tests.conftest import make_tenant

pytestmark = pytest.mark.django_db(transaction=True)

REGISTER = "/api/v1/clients/register"
BEFORE_THE_POLICIES = [("tenants", "0011_client_mail_settings")]
# The rules every client had before the policies: 8 to 1024 characters, common passwords refused, no lockout.
TODAY = {
    "password_policy": {"min_length": 8, "max_length": 1024, "min_strength": 0, "refuse_common": True},
    "lockout": {"mode": "off", "max_failures": 10, "max_delay_seconds": 900, "forget_after_hours": 24},
}


def register(post_json, **settings):
    return post_json(REGISTER, {"client_name": "Initech", "industry": "SaaS", **settings})


@pytest.mark.store_independent
def test_the_defaults_are_the_rules_clients_had_before():
    """A policy with no key set is exactly the service's behaviour before the settings existed."""
    assert PasswordPolicy().as_setting() == TODAY["password_policy"]
    assert LockoutPolicy().as_setting() == TODAY["lockout"]


@pytest.mark.store_independent
@pytest.mark.parametrize(
    ("setting", "value", "named"),
    [
        ("password_policy", {"min_length": 7}, "min_length: 7 is less than the minimum of 8"),
        ("password_policy", {"min_length": 65}, "min_length: 65 is greater than the maximum of 64"),
        ("password_policy", {"max_length": 63}, "max_length: 63 is less than the minimum of 64"),
        ("password_policy", {"max_length": 1025}, "max_length: 1025 is greater than the maximum of 1024"),
        ("password_policy", {"min_strength": 5}, "min_strength: 5 is greater than the maximum of 4"),
        ("password_policy", {"min_strength": "3"}, "min_strength: '3' is not of type 'integer'"),
        ("password_policy", {"min_length": True}, "min_length: True is not of type 'integer'"),
        ("password_policy", {"refuse_common": "no"}, "refuse_common: 'no' is not of type 'boolean'"),
        ("password_policy", {"min_lenght": 12}, "'min_lenght' was unexpected"),
        ("password_policy", [8, 64], "is not of type 'object'"),
        ("lockout", {"max_failures": 0}, "max_failures: 0 is less than the minimum of 1"),
        ("lockout", {"max_failures": 101}, "max_failures: 101 is greater than the maximum of 100"),
        ("lockout", {"mode": "ban"}, "mode: 'ban' is not one of ['off', 'throttle', 'lock']"),
        ("lockout", {"max_delay_seconds": 86401}, "max_delay_seconds: 86401 is greater than the maximum of 86400"),
        ("lockout", {"forget_after_hours": 0}, "forget_after_hours: 0 is less than the minimum of 1"),
    ],
)
def test_registration_and_patch_refuse_a_policy_naming_the_setting_and_the_key(post_json, setting, value, named):
    """A value outside the schema is a 400 under `fields.<setting>` saying which key and why, at registration
    (no client is made) and in a PATCH (nothing changes)."""
    registered = register(post_json, **{setting: value})
    assert not Client.objects.exists()
    tenant = make_tenant("Acme")
    patched = patch_settings(tenant, {setting: value})

    for response in (registered, patched):
        assert response.status_code == 400
        assert any(named in message for message in response.json()["fields"][setting]), response.json()
    assert getattr(Client.objects.get(pk=tenant.client.pk), setting) == TODAY[setting]


@pytest.mark.store_independent
def test_a_hostile_policy_gets_a_short_answer(post_json):
    """Thousands of unknown keys are named in one message, and at most five problems are listed."""
    hostile = {f"key{number}": number for number in range(3000)} | {"min_length": 1, "max_length": 1, "min_strength": 9}
    response = register(post_json, password_policy=hostile)

    assert response.status_code == 400
    assert len(response.json()["fields"]["password_policy"]) <= 5
    assert len(response.content) < 64 * 1024


@pytest.mark.store_independent
def test_a_policy_given_in_part_is_stored_and_read_back_whole(post_json, api):
    """Keys left out take their defaults: GET /api/v1/<client_id>/ answers every key."""
    response = register(post_json, password_policy={"min_length": 12, "min_strength": 3}, lockout={"mode": "lock", "max_failures": 5})
    assert response.status_code == 201, response.content
    body = response.json()

    settings_read = api.get(f"/api/v1/{body['client_id']}/", HTTP_AUTHORIZATION=f"Bearer {body['access_key']}").json()

    assert settings_read["password_policy"] == TODAY["password_policy"] | {"min_length": 12, "min_strength": 3}
    assert settings_read["lockout"] == TODAY["lockout"] | {"mode": "lock", "max_failures": 5}


@pytest.mark.store_independent
def test_a_client_registered_without_policies_has_the_defaults(post_json, api):
    """Nothing sent: both policies are today's rules, and GET says so."""
    body = register(post_json).json()
    settings_read = api.get(f"/api/v1/{body['client_id']}/", HTTP_AUTHORIZATION=f"Bearer {body['access_key']}").json()

    assert {name: settings_read[name] for name in TODAY} == TODAY


@pytest.mark.store_independent
@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ({"max_failures": 3}, TODAY["lockout"] | {"max_failures": 3}),
        ({}, TODAY["lockout"]),
        (None, TODAY["lockout"]),
    ],
    ids=["in-part", "empty", "null"],
)
def test_a_patch_replaces_a_policy_whole(sent, stored):
    """Keys left out take their defaults, not their current values (here `mode` goes back to off); the
    answer and the stored row hold every key, and the change is audited by the setting's name."""
    tenant = make_tenant("Acme", lockout={"mode": "lock", "max_failures": 5, "forget_after_hours": 48})

    response, records = records_written_by(lambda: patch_settings(tenant, {"lockout": sent}))

    assert response.status_code == 200, response.content
    assert response.json()["lockout"] == Client.objects.get(pk=tenant.client.pk).lockout == stored
    assert [record.metadata["fields"] for record in records] == [["lockout"]]


@pytest.mark.store_independent
def test_a_lockout_set_by_patch_counts_from_the_next_login(transactional_db):
    """The client turns a lock on over the API; the next failed login of an email locks it."""
    tenant = make_tenant("Acme")
    sign_up(tenant)
    assert patch_settings(tenant, {"lockout": {"mode": "lock", "max_failures": 1}}).status_code == 200

    answers = [call(tenant, "login", {"email": "ada@example.com", "password": PASSWORD + "x"}) for _ in range(2)]
    assert [answer.status_code for answer in answers] == [401, 429]
    assert answers[1].json()["error"] == "login_locked"


def test_clients_that_existed_before_the_policies_get_the_defaults(transactional_db):
    """Migration 0012 gives every row of before it today's rules, stored on each store."""
    existing = make_tenant("Old Co")
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    MigrationExecutor(connection).migrate(BEFORE_THE_POLICIES)
    MigrationExecutor(connection).migrate(latest)
    access_key_cache.clear()  # the remembered client was read before the migrations

    stored = Client.objects.values("password_policy", "lockout").get(pk=existing.client.pk)
    assert stored == TODAY


def post_change_form(staff_client, client: Client, **fields):
    """The change form as staff post it, everything else left as it is."""
    form = {
        "client_name": client.client_name,
        "industry": client.industry,
        "token_issuer": client.token_issuer,
        "custom_fields_schema": "null",
        "rate_limits": "null",
        "access_keys-TOTAL_FORMS": "0",
        "access_keys-INITIAL_FORMS": "0",
        **fields,
    }
    return staff_client.post(f"/admin/tenants/client/{client.pk}/change/", form)


@pytest.mark.store_independent
@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ({"lockout": '{"mode": "throttle"}'}, TODAY["lockout"] | {"mode": "throttle"}),
        ({"lockout": ""}, TODAY["lockout"]),
        ({}, TODAY["lockout"] | {"mode": "lock"}),
    ],
    ids=["in-part", "empty-box", "box-left-out"],
)
def test_staff_set_a_policy_in_the_admin(staff_client, sent, stored):
    """The change form stores the policy whole; an empty box means the defaults; a post without the box keeps it."""
    tenant = make_tenant("Acme", lockout={"mode": "lock"})

    response = post_change_form(staff_client, tenant.client, **sent)

    assert response.status_code == 302
    assert Client.objects.get(pk=tenant.client.pk).lockout == stored


@pytest.mark.store_independent
def test_the_admin_refuses_a_policy_beside_its_box(staff_client):
    """A value outside the schema is shown on the form, naming the key; nothing changes."""
    tenant = make_tenant("Acme")

    response = post_change_form(staff_client, tenant.client, password_policy=json.dumps({"min_length": 4}))

    assert response.status_code == 200
    assert "min_length: 4 is less than the minimum of 8" in response.content.decode()
    assert Client.objects.get(pk=tenant.client.pk).password_policy == TODAY["password_policy"]


@pytest.mark.store_independent
@pytest.mark.parametrize(
    ("stored", "read"),
    [
        ({"min_strength": True}, PasswordPolicy()),
        ({"min_strength": 1}, PasswordPolicy(min_strength=1)),
        ({"min_length": 12.0}, PasswordPolicy(min_length=12)),
        ({"min_length": [12]}, PasswordPolicy()),
        ("not an object", PasswordPolicy()),
    ],
    ids=["true-is-not-1", "one", "a-whole-float", "a-list", "not-an-object"],
)
def test_a_stored_value_is_read_as_the_schema_reads_it(stored, read):
    """A value the schema refuses reads as the defaults (never a failed call); reading is remembered per
    value and type, so true is never taken for 1 nor the other way round."""
    assert PasswordPolicy.of(stored) == read
