"""A client's settings are declared once (`Client.SETTINGS`): the admin's pages, the API (as its
schema publishes it) and docs/api.md list the same fields, and only staff set `STAFF_SETTINGS`."""

import inspect
import json
import re
from pathlib import Path

import pytest

from core.errors import InvalidRequest
from tenants.forms import SEALED_FORM_FIELDS
from tenants.models import Client
from tenants.services import client_register

pytestmark = pytest.mark.django_db(transaction=True)

ADD = "/admin/tenants/client/add/"
REGISTER = "/api/v1/clients/register"
API_MD = Path(__file__).resolve().parents[2] / "docs" / "api.md"
# The change page as staff know it; a new field may join it, these keep their order.
CHANGE_PAGE = [
    "client_id",
    "client_name",
    "industry",
    "is_active",
    "require_email_verification",
    "custom_fields_schema",
    "rate_limits",
    "documentation",
    "created_at",
    "updated_at",
]
READ_ONLY_ON_CHANGE_PAGE = {"client_id", "is_active", "documentation", "created_at", "updated_at"}


def shown_fields(response) -> list[str]:
    """The rows of the admin form, in the order the page shows them."""
    return re.findall(r'class="form-row[^"]*\bfield-(\w+)', response.content.decode())


def editable_fields(response) -> set[str]:
    return set(response.context["adminform"].form.fields)


def test_each_declared_setting_is_an_editable_client_field():
    """Client.SETTINGS names editable fields of Client, each once, each set either by the client or by staff."""
    fields = {field.name: field for field in Client._meta.concrete_fields}

    assert [name for name in Client.SETTINGS if name not in fields or not fields[name].editable] == []
    assert len(set(Client.SETTINGS)) == len(Client.SETTINGS)
    assert set(Client.CLIENT_SETTINGS).isdisjoint(Client.STAFF_SETTINGS)


def test_the_add_page_edits_exactly_the_settings_in_their_order(staff_client):
    """A new client is given its settings, in the order Client declares them, and nothing else."""
    response = staff_client.get(ADD)

    assert shown_fields(response) == list(Client.fields_in_order(*Client.SETTINGS))
    assert editable_fields(response) == set(Client.SETTINGS)


def test_the_change_page_keeps_its_order_and_edits_only_the_settings(staff_client, tenant):
    """The change page shows the client's record in the order staff know; only its settings are editable,
    the write-only (sealed) ones through boxes that set or remove them."""
    response = staff_client.get(f"/admin/tenants/client/{tenant.client.pk}/change/")
    shown = shown_fields(response)
    read_only = set(response.context["adminform"].readonly_fields)

    assert [name for name in shown if name in CHANGE_PAGE] == CHANGE_PAGE
    assert editable_fields(response) == {*Client.SETTINGS, *SEALED_FORM_FIELDS}
    assert {name.removesuffix("_clear") for name in SEALED_FORM_FIELDS} == set(Client.SEALED_SETTINGS)
    assert read_only == set(shown) - set(Client.SETTINGS) - set(SEALED_FORM_FIELDS)
    assert read_only & set(CHANGE_PAGE) == READ_ONLY_ON_CHANGE_PAGE


def component(schema: dict, operation: dict, *where: str) -> dict:
    node = operation
    for key in where:
        node = node[key]
    return schema["components"]["schemas"][node["schema"]["$ref"].rsplit("/", 1)[1]]


@pytest.fixture
def schema(client) -> dict:
    return json.loads(client.get("/api/schema/?format=json").content)


@pytest.fixture
def register_body(schema) -> dict:
    """What the published schema says registration takes."""
    operation = schema["paths"][REGISTER]["post"]
    return component(schema, operation, "requestBody", "content", "application/json")


def test_registration_takes_exactly_the_client_settings(register_body):
    """POST clients/register takes the client's settings, in their order: no staff setting, no state."""
    assert list(register_body["properties"]) == list(Client.fields_in_order(*Client.CLIENT_SETTINGS))


def test_the_client_reads_back_its_settings_and_no_staff_setting(schema):
    """GET /api/v1/{client_id}/ answers every client setting, and none of those only staff set."""
    operation = schema["paths"]["/api/v1/{client_id}/"]["get"]
    answered = set(component(schema, operation, "responses", "200", "content", "application/json")["properties"])

    assert set(Client.CLIENT_SETTINGS) <= answered
    assert answered.isdisjoint(Client.STAFF_SETTINGS)


def test_the_registration_service_takes_every_client_setting_and_no_other():
    """What the API validates goes to client_register as keywords: any client setting, never staff's or the state."""
    assert inspect.Parameter.VAR_KEYWORD in {parameter.kind for parameter in inspect.signature(client_register).parameters.values()}
    with pytest.raises(InvalidRequest) as refused:
        client_register(client_name="Initech", industry="SaaS", rate_limits={}, is_active=False)
    assert refused.value.fields == {"rate_limits": ["Set by staff only."], "is_active": ["Unknown setting."]}
    assert not Client.objects.exists()


@pytest.mark.parametrize(
    ("sent", "stored"),
    [({"rate_limits": {"login_ip": "1000000/s"}}, ("rate_limits", {})), ({"is_active": False}, ("is_active", True))],
    ids=["rate_limits", "is_active"],
)
def test_registration_ignores_what_only_staff_set(post_json, sent, stored):
    """A client cannot give itself its own rate limits, or a state, when it registers."""
    response = post_json(REGISTER, {"client_name": "Initech", "industry": "SaaS", **sent})

    assert response.status_code == 201
    name, value = stored
    assert getattr(Client.objects.get(pk=response.json()["client_id"]), name) == value


def test_api_md_lists_what_registration_takes(register_body):
    """docs/api.md §3's registration row names the body's fields, in order, `?` marking the optional ones."""
    [row] = [line for line in API_MD.read_text().splitlines() if line.startswith(f"| `POST {REGISTER}` |")]
    documented = re.findall(r"`(\w+\??)`", row.split("|")[2])

    required = set(register_body["required"])
    assert documented == [name if name in required else f"{name}?" for name in register_body["properties"]]


@pytest.mark.store_independent
def test_patch_takes_exactly_the_client_settings_and_no_other_key(schema):
    """PATCH /api/v1/{client_id}/ publishes the client's settings in order, then the write-only (sealed) ones;
    none required, no other key."""
    operation = schema["paths"]["/api/v1/{client_id}/"]["patch"]
    body = component(schema, operation, "requestBody", "content", "application/json")

    assert list(body["properties"]) == [*Client.fields_in_order(*Client.CLIENT_SETTINGS), *Client.SEALED_SETTINGS]
    assert body.get("required", []) == []
    assert body["additionalProperties"] is False


@pytest.mark.store_independent
def test_sealed_settings_are_taken_by_patch_and_answered_by_no_call(schema):
    """A write-only setting is in PATCH's body, in no answer, and its sealed field is no setting a call can name."""
    operation = schema["paths"]["/api/v1/{client_id}/"]
    answered = set(component(schema, operation["get"], "responses", "200", "content", "application/json")["properties"])
    taken = component(schema, operation["patch"], "requestBody", "content", "application/json")["properties"]

    for name, field in Client.SEALED_SETTINGS.items():
        assert name in taken and name not in answered and field not in answered
        assert name not in Client.SETTINGS and field not in Client.SETTINGS


@pytest.mark.store_independent
def test_the_audit_trail_keeps_plain_values_but_never_a_sealed_or_a_json_settings():
    """`values` of a change: the new plain values; a sealed setting, or a JSON one, by name only."""
    from tenants.client_settings import audited_values

    client = Client(client_name="Acme", mail_reply_to="help@acme.example", mail_templates={"verify_email": {"text": "{link}"}})
    client.smtp_url_sealed = "gAAAAA-sealed"
    names = ["client_name", "mail_reply_to", "mail_templates", "verify_email_url", "smtp_url"]
    assert audited_values(client, names) == {"client_name": "Acme", "mail_reply_to": "help@acme.example", "verify_email_url": None}


@pytest.mark.store_independent
def test_api_md_describes_every_client_setting():
    """docs/api.md §3a's table has a row for each client setting, in the model's order."""
    text = API_MD.read_text()
    section = text[text.index("## 3a. Client settings") : text.index("## 4. Errors")]
    rows = re.findall(r"^\| `(\w+)` \|", section, re.MULTILINE)

    assert rows == list(Client.fields_in_order(*Client.CLIENT_SETTINGS))
