"""The client change page edits the same settings as PATCH /api/v1/{client_id}/, through the same service:
the same rules refuse the same values, and a change is audited alike, naming the staff member."""

import json

import pytest

from tenants.models import Client
from tests.accounts.conftest import call
from tests.audit.conftest import records_written_by
from tests.conftest import make_tenant

pytestmark = pytest.mark.django_db(transaction=True)

TEMPLATES = {"reset_password": {"subject": "Reset your {client_name} password", "text": "Here: {link}"}}


def change_form(client: Client, **settings: str) -> dict:
    """The change page's form as a browser posts it, unchanged but for `settings`."""
    form = {
        "client_name": client.client_name,
        "industry": client.industry,
        "custom_fields_schema": "null",
        "rate_limits": "{}",
        "mail_templates": "null",
        "access_keys-TOTAL_FORMS": "0",
        "access_keys-INITIAL_FORMS": "0",
    }
    return form | settings


def save(staff_client, client: Client, **settings: str):
    return staff_client.post(f"/admin/tenants/client/{client.pk}/change/", change_form(client, **settings))


def test_staff_change_a_mail_setting_and_the_client_reads_it_back(staff_client):
    """Saved through client_settings_update: one record (surface admin, the staff member), and GET answers it."""
    tenant = make_tenant("Acme")
    response, records = records_written_by(
        lambda: save(staff_client, tenant.client, mail_sender_name="Acme Support", mail_templates=json.dumps(TEMPLATES))
    )

    assert response.status_code == 302
    [record] = records
    assert (record.action, record.metadata["fields"], record.metadata["values"]) == (
        "client_update",
        ["mail_sender_name", "mail_templates"],
        {"mail_sender_name": "Acme Support"},
    )
    assert (record.metadata["surface"], record.metadata["actor"]["username"]) == ("admin", "staff")
    answer = call(tenant, "", method="GET").json()
    assert (answer["mail_sender_name"], answer["mail_templates"]) == ("Acme Support", TEMPLATES)


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("verify_email_url", "javascript:alert(1)", "Must be an https URL."),
        ("mail_sender_name", "Acme Support at evil.example", "Must not contain a web address"),
        ("mail_templates", json.dumps({"verify_email": {"text": "{link.__class__} {link}"}}), "unknown placeholder {link.__class__}"),
    ],
    ids=["javascript-url", "sender-domain", "unknown-placeholder"],
)
def test_the_change_page_refuses_what_the_api_refuses(staff_client, setting, value, message):
    """The form shows the rule's message beside the setting, and nothing is saved or recorded."""
    tenant = make_tenant("Acme")
    response, records = records_written_by(lambda: save(staff_client, tenant.client, **{setting: value}))

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert list(errors) == [setting]
    assert message in " ".join(errors[setting])
    assert records == []
    assert getattr(Client.objects.get(pk=tenant.client.pk), setting) is None


def test_an_old_value_does_not_stop_staff_from_changing_another_setting(staff_client):
    """Only changed settings are checked: a page URL saved under DEBUG stays while staff rename the client."""
    tenant = make_tenant("Acme")
    Client.objects.filter(pk=tenant.client.pk).update(verify_email_url="http://localhost:3000/verify")
    response = save(staff_client, tenant.client, client_name="Acme Renamed", verify_email_url="http://localhost:3000/verify")

    assert response.status_code == 302
    assert Client.objects.get(pk=tenant.client.pk).client_name == "Acme Renamed"
