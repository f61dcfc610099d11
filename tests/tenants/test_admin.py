"""Staff admin for clients, through Django's test client as a logged-in superuser."""

import html
import json
import re
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.db import connections
from django.test import Client as BrowserClient
from rest_framework.test import APIClient

from tenants.models import AccessKey, Client
from tenants.provisioning import has_unique_email_index, tenant_table_exists
from tenants.user_models import users_table_name
from tests.audit.conftest import records_written_by
from tests.conftest import make_tenant

pytestmark = pytest.mark.django_db(transaction=True)

CHANGELIST = "/admin/tenants/client/"
ADD = "/admin/tenants/client/add/"
KEY = re.compile(r"ak_[0-9a-f]{16}\.[A-Za-z0-9_-]{43}")


def change_url(client: Client) -> str:
    return f"/admin/tenants/client/{client.pk}/change/"


def listed_ids(response) -> set[uuid.UUID]:
    return {client.client_id for client in response.context["cl"].result_list}


def issued_key_notices(response) -> list[str]:
    """The notices of the page that carry a newly issued key (one <li> each)."""
    block = re.search(r'<ul class="messagelist issued-access-keys">(.*?)</ul>', response.content.decode(), re.DOTALL)
    return re.findall(r"<li[^>]*>(.*?)</li>", block[1], re.DOTALL) if block else []


def keys_in_messages(response) -> list[str]:
    return [key for text in issued_key_notices(response) for key in KEY.findall(text)]


def api_get(client_id, access_key: str):
    """The client detail API, the cheapest call that checks a key."""
    return APIClient().get(f"/api/v1/{client_id}/", HTTP_AUTHORIZATION=f"Bearer {access_key}")


def api_status(client_id, access_key: str) -> int:
    return api_get(client_id, access_key).status_code


def run_action(staff_client, action: str, *clients: Client, **extra):
    body = {"action": action, "_selected_action": [str(client.pk) for client in clients], **extra}
    return staff_client.post(CHANGELIST, body, follow=True)


def collection_exists(client_id: uuid.UUID) -> bool:
    return tenant_table_exists(connections["default"], users_table_name(client_id))


@pytest.fixture
def staff_client(transactional_db) -> BrowserClient:
    """Logged in as a superuser without a password: hashing one (bcrypt) would only slow every test."""
    staff = get_user_model().objects.create_superuser("staff", "staff@example.com", password=None)
    browser = BrowserClient()
    browser.force_login(staff)
    return browser


@pytest.fixture
def added(staff_client):
    """A client created through the admin's add form: (final response, client)."""
    response = staff_client.post(
        ADD,
        {
            "client_name": "Initech",
            "industry": "AI/ML",
            "require_email_verification": "on",
            "custom_fields_schema": json.dumps({"type": "object", "properties": {"plan": {"type": "string"}}}),
        },
        follow=True,
    )
    return response, Client.objects.get(client_name="Initech")


def test_client_list_shows_every_client_with_its_columns(staff_client, tenant, other_tenant):
    """The list page has a row per client with the agreed columns."""
    response = staff_client.get(CHANGELIST)
    assert response.status_code == 200
    assert listed_ids(response) == {tenant.client.client_id, other_tenant.client.client_id}
    assert response.context["cl"].list_display[1:] == [
        "client_name",
        "client_id",
        "industry",
        "is_active",
        "require_email_verification",
        "created_at",
    ]
    page = response.content.decode()
    for shown in (tenant.client_id, other_tenant.client_id, "Acme", "Globex"):
        assert shown in page


@pytest.mark.parametrize(
    "term",
    [
        pytest.param(lambda c: "acm", id="name-fragment"),
        pytest.param(lambda c: str(c.client_id), id="client-id"),
        pytest.param(lambda c: f" {c.client_id.hex.upper()} ", id="client-id-hex-uppercase"),
    ],
)
def test_search_finds_a_client_by_name_or_client_id(staff_client, tenant, other_tenant, term):
    """Searching by a name fragment or a whole client_id (any spelling of it) finds only that client."""
    response = staff_client.get(CHANGELIST, {"q": term(tenant.client)})
    assert listed_ids(response) == {tenant.client.client_id}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"industry__exact": "E-commerce"}, "other"),
        ({"industry__exact": "SaaS"}, "tenant"),
        ({"is_active__exact": "0"}, "other"),
        ({"is_active__exact": "1"}, "tenant"),
    ],
)
def test_filters_by_industry_and_active_narrow_the_list(staff_client, tenant, other_tenant, query, expected):
    """Each filter keeps only the matching client."""
    Client.objects.filter(pk=other_tenant.client.pk).update(is_active=False)
    response = staff_client.get(CHANGELIST, query)
    wanted = {"tenant": tenant, "other": other_tenant}[expected]
    assert listed_ids(response) == {wanted.client.client_id}


def test_adding_a_client_saves_the_row_as_entered(added):
    """The add form creates the client with the fields given, active by default."""
    response, client = added
    assert response.status_code == 200
    assert (client.industry, client.require_email_verification, client.is_active) == ("AI/ML", True, True)
    assert client.custom_fields_schema["properties"]["plan"] == {"type": "string"}


def test_adding_a_client_shows_a_working_key_once(staff_client, added):
    """The first key appears in exactly one message, authenticates the client API, and is never shown again."""
    response, client = added
    keys = keys_in_messages(response)
    assert len(keys) == 1
    assert response.content.decode().count(keys[0]) == 1
    assert api_status(client.client_id, keys[0]) == 200
    stored = AccessKey.objects.get(client=client)
    assert keys[0] not in (stored.secret_hash, stored.key_id)
    for url in (change_url(client), CHANGELIST):
        assert keys[0] not in staff_client.get(url).content.decode()


def test_adding_a_client_provisions_its_collection_with_a_unique_email_index(added):
    """The admin surface provisions like the API does."""
    _, client = added
    assert collection_exists(client.client_id)
    assert has_unique_email_index(connections["default"], users_table_name(client.client_id))


@pytest.mark.parametrize(
    "schema",
    [
        pytest.param("[1, 2]", id="not-an-object"),
        pytest.param('{"type": 12}', id="invalid-json-schema"),
        pytest.param("{not json", id="not-json"),
    ],
)
def test_add_form_rejects_a_bad_custom_fields_schema(staff_client, schema):
    """A schema the service would refuse is a form error; no client and no key are created."""
    response = staff_client.post(ADD, {"client_name": "Bad", "industry": "SaaS", "custom_fields_schema": schema})
    assert response.status_code == 200
    assert "custom_fields_schema" in response.context["adminform"].form.errors
    assert not Client.objects.exists()
    assert not AccessKey.objects.exists()


def test_rotate_action_shows_a_new_working_key_once_and_keeps_the_old_one(staff_client, tenant):
    """The rotated key is shown in one message and works, while the previous key still works."""
    response = run_action(staff_client, "rotate_access_key", tenant.client)
    keys = keys_in_messages(response)
    assert len(keys) == 1
    new_key = keys[0]
    assert new_key != tenant.access_key
    assert response.content.decode().count(new_key) == 1
    assert api_status(tenant.client_id, new_key) == 200
    assert api_status(tenant.client_id, tenant.access_key) == 200
    assert new_key not in staff_client.get(CHANGELIST).content.decode()


def test_rotate_action_lists_a_new_key_for_each_selected_client(staff_client, tenant, other_tenant):
    """Rotating several clients shows one message per client, each with that client's new key."""
    response = run_action(staff_client, "rotate_access_key", tenant.client, other_tenant.client)
    for owner in (tenant, other_tenant):
        [text] = [text for text in issued_key_notices(response) if owner.client_id in text]
        [key] = KEY.findall(text)
        assert api_status(owner.client_id, key) == 200


def test_deactivate_action_makes_the_api_refuse_the_client(staff_client, tenant, other_tenant):
    """After deactivation the client's own key gets 403 `forbidden`; other clients are untouched."""
    assert api_status(tenant.client_id, tenant.access_key) == 200
    response = run_action(staff_client, "deactivate", tenant.client)
    assert response.status_code == 200
    refused = api_get(tenant.client_id, tenant.access_key)
    assert (refused.status_code, refused.json()["error"]) == (403, "forbidden")
    assert api_status(other_tenant.client_id, other_tenant.access_key) == 200
    assert Client.objects.get(pk=tenant.client.pk).is_active is False


def test_reactivate_action_makes_the_api_accept_the_client_again(staff_client, tenant, other_tenant):
    """A deactivated client reactivated by the action answers 200 with its key; the other client is untouched."""
    run_action(staff_client, "deactivate", tenant.client, other_tenant.client)
    assert api_status(tenant.client_id, tenant.access_key) == 403

    response = run_action(staff_client, "reactivate", tenant.client)

    assert "Reactivated 1 client(s): Acme." in response.content.decode()
    assert api_status(tenant.client_id, tenant.access_key) == 200
    assert api_status(other_tenant.client_id, other_tenant.access_key) == 403
    assert [Client.objects.get(pk=owner.client.pk).is_active for owner in (tenant, other_tenant)] == [True, False]


@pytest.mark.parametrize(("action", "recorded"), [("deactivate", "client_deactivate"), ("reactivate", "client_reactivate")])
def test_activation_actions_leave_one_audit_record_per_client(staff_client, tenant, other_tenant, action, recorded):
    """Each selected client gets one success record of the action, with the staff member's address."""
    if action == "reactivate":
        run_action(staff_client, "deactivate", tenant.client, other_tenant.client)

    _, records = records_written_by(lambda: run_action(staff_client, action, tenant.client, other_tenant.client))

    assert sorted((record.action, record.status, str(record.client_id), record.ip_address) for record in records) == sorted(
        (recorded, "success", owner.client_id, "127.0.0.1") for owner in (tenant, other_tenant)
    )


def test_change_page_shows_key_ids_but_never_secret_hashes(staff_client, tenant):
    """Every key's id is on the client's page; no secret hash and no way to add or delete keys."""
    run_action(staff_client, "rotate_access_key", tenant.client)
    keys = list(AccessKey.objects.filter(client=tenant.client))
    assert len(keys) == 2
    response = staff_client.get(change_url(tenant.client))
    page = response.content.decode()
    for key in keys:
        assert key.key_id in page
        assert key.secret_hash not in page
    [inline] = response.context["inline_admin_formsets"]
    assert (inline.has_add_permission, inline.has_change_permission, inline.has_delete_permission) == (False,) * 3
    assert 'name="access_keys-0-key_id"' not in page


def test_change_form_cannot_reactivate_a_client_behind_the_services_back(staff_client, tenant):
    """is_active is read-only on the change page, so only the Deactivate and Reactivate actions change it."""
    run_action(staff_client, "deactivate", tenant.client)
    response = staff_client.post(
        change_url(tenant.client),
        {
            "client_name": "Acme renamed",
            "industry": "SaaS",
            "is_active": "on",
            "custom_fields_schema": "null",
            "access_keys-TOTAL_FORMS": "0",
            "access_keys-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    client = Client.objects.get(pk=tenant.client.pk)
    assert (client.client_name, client.is_active) == ("Acme renamed", False)


@pytest.mark.parametrize(("sent", "stored"), [("30", 30), ("300", 300), ("301", 0), ("-1", 0), ("x", 0)])
def test_staff_set_the_refresh_reuse_interval_from_0_to_300_seconds(staff_client, api, tenant, sent, stored):
    """The change page saves an interval of 0-300 s, which the client reads back at once; others are refused on the page."""
    form = {"client_name": "Acme", "industry": "SaaS", "custom_fields_schema": "null", "refresh_reuse_interval": sent}
    response = staff_client.post(change_url(tenant.client), form | {"access_keys-TOTAL_FORMS": "0", "access_keys-INITIAL_FORMS": "0"})

    if stored:
        assert response.status_code == 302
    else:
        assert "refresh_reuse_interval" in response.context["adminform"].form.errors
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {tenant.access_key}")
    assert api.get(tenant.url()).json()["refresh_reuse_interval"] == stored


SCHEMA = {"type": "object", "properties": {"plan": {"type": "string", "enum": ["free", "pro"]}}, "required": ["plan"]}


def textarea(page: str, name: str) -> str:
    return html.unescape(re.search(rf'<textarea name="{name}"[^>]*>\n?(.*?)</textarea>', page, re.DOTALL)[1])


def test_the_change_page_shows_the_schema_indented_and_saves_it_back_unchanged(staff_client):
    """The schema and rate limits read indented by 2; posting the page back as shown changes and records nothing."""
    client = make_tenant("Schemed", custom_fields_schema=SCHEMA).client
    Client.objects.filter(pk=client.pk).update(rate_limits={"login_ip": "100/m"})
    page = staff_client.get(change_url(client)).content.decode()
    assert textarea(page, "custom_fields_schema") == json.dumps(SCHEMA, indent=2)
    assert textarea(page, "rate_limits") == '{\n  "login_ip": "100/m"\n}'

    form = {name: textarea(page, name) for name in ("custom_fields_schema", "rate_limits")}
    # What a browser posts back: Django keeps the shown initial value of a field with a callable default.
    form |= {name: html.unescape(value) for name, value in re.findall(r'<input type="hidden" name="(initial-[\w]+)" value="([^"]*)"', page)}
    form |= {"client_name": "Schemed", "industry": "SaaS", "access_keys-TOTAL_FORMS": "0", "access_keys-INITIAL_FORMS": "0"}
    response, records = records_written_by(lambda: staff_client.post(change_url(client), form))
    assert response.status_code == 302
    assert records == []
    assert Client.objects.get(pk=client.pk).custom_fields_schema == SCHEMA


def test_a_client_with_users_tokens_and_mails_can_be_deleted_from_its_page(staff_client, tenant):
    """The delete page of a used client asks for no permission on its tokens or mails, and deletes them all."""
    from accounts.models import RefreshToken
    from delivery.models import Delivery
    from tests.accounts.conftest import PASSWORD, call

    verifying = make_tenant("Verifying", require_email_verification=True)
    for owner in (tenant, verifying):  # a refresh token for the first, a verification mail for the second
        assert call(owner, "signup", {"email": "ada@example.com", "password": PASSWORD}).status_code == 201
    assert RefreshToken.objects.exists() and Delivery.objects.exists()
    for owner in (tenant, verifying):
        page = staff_client.get(f"/admin/tenants/client/{owner.client.pk}/delete/").content.decode()
        assert "permission to delete" not in page
        assert staff_client.post(f"/admin/tenants/client/{owner.client.pk}/delete/", {"post": "yes"}).status_code == 302
        assert not Client.objects.filter(pk=owner.client.pk).exists()
    assert not RefreshToken.objects.exists() and not Delivery.objects.exists()


def test_delete_view_deletes_the_client_its_keys_and_its_collection(staff_client, tenant):
    """Deleting from the client's delete page goes through the service, which drops the collection."""
    assert collection_exists(tenant.client.client_id)
    response = staff_client.post(f"/admin/tenants/client/{tenant.client.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Client.objects.filter(pk=tenant.client.pk).exists()
    assert not AccessKey.objects.filter(client_id=tenant.client.pk).exists()
    assert not collection_exists(tenant.client.client_id)


def test_delete_selected_action_drops_each_collection_and_spares_the_rest(staff_client, tenant, other_tenant):
    """Bulk deletion drops the selected clients' collections only."""
    third = make_tenant("Umbrella", "Other")
    response = run_action(staff_client, "delete_selected", tenant.client, other_tenant.client, post="yes")
    assert response.status_code == 200
    assert list(Client.objects.values_list("pk", flat=True)) == [third.client.pk]
    assert not collection_exists(tenant.client.client_id)
    assert not collection_exists(other_tenant.client.client_id)
    assert collection_exists(third.client.client_id)


CHANGE_FORM = {"client_name": "Acme", "industry": "SaaS", "custom_fields_schema": "null", "access_keys-TOTAL_FORMS": "0", "access_keys-INITIAL_FORMS": "0"}


def test_staff_set_the_mfa_policy_on_the_change_page(staff_client, tenant):
    """The page offers optional and required; choosing required saves it and records client_update naming mfa_policy."""
    page = staff_client.get(change_url(tenant.client)).content.decode()
    assert re.search(r'<select name="mfa_policy"[^>]*>', page) and 'value="required"' in page

    response, records = records_written_by(lambda: staff_client.post(change_url(tenant.client), {**CHANGE_FORM, "mfa_policy": "required"}))

    assert response.status_code == 302
    assert Client.objects.get(pk=tenant.client.pk).mfa_policy == "required"
    assert [(record.action, record.metadata["fields"]) for record in records] == [("client_update", ["mfa_policy"])]


def test_a_form_that_does_not_send_the_policy_keeps_it(staff_client):
    """A script posting only the fields it changes (as before the setting existed) leaves required as it was."""
    client = make_tenant("Strict", mfa_policy="required").client
    response, records = records_written_by(lambda: staff_client.post(change_url(client), {**CHANGE_FORM, "client_name": "Strict"}))
    assert response.status_code == 302
    assert Client.objects.get(pk=client.pk).mfa_policy == "required"
    assert records == []
