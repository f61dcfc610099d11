"""PATCH /api/v1/{client_id}/: a client changes its own settings with its own key; the change is stored,
audited by name, seen by the next call, and nothing else can be changed, by it or by another client."""

import pytest

from audit.models import AuditLog
from tenants.models import Client
from tenants.services import access_key_rotate
from tests.accounts.conftest import call
from tests.audit.conftest import records_written_by
from tests.clients.conftest import patch_settings
from tests.conftest import smtp_url_of

pytestmark = pytest.mark.django_db(transaction=True)

MAIL_SETTINGS = {
    "verify_email_url": "https://app.example/verify?lang=en",
    "reset_password_url": "https://app.example/reset",
    "mail_sender_name": "Acme Support",
    "mail_reply_to": "help@acme.example",
    "mail_templates": {"verify_email": {"subject": "Welcome to {client_name}", "text": "Confirm {email}: {link}"}},
}


def stored(tenant) -> Client:
    return Client.objects.get(pk=tenant.client.pk)


def test_a_patch_changes_the_settings_given_and_answers_them_all(tenant):
    """Only the settings sent change, they are stored, and the answer is the whole settings as GET shows them."""
    response = patch_settings(tenant, {**MAIL_SETTINGS, "client_name": "Acme Renamed"})

    assert response.status_code == 200, response.content
    body = response.json()
    assert {name: body[name] for name in MAIL_SETTINGS} == MAIL_SETTINGS
    assert (body["client_name"], body["industry"], body["require_email_verification"]) == ("Acme Renamed", "SaaS", False)
    row = stored(tenant)
    assert {name: getattr(row, name) for name in MAIL_SETTINGS} == MAIL_SETTINGS
    assert row.client_name == "Acme Renamed"
    assert call(tenant, "", method="GET").json() == body


def test_null_unsets_an_optional_setting(tenant):
    """A mail setting sent as null goes back to ours."""
    assert patch_settings(tenant, MAIL_SETTINGS).status_code == 200
    response = patch_settings(tenant, {"verify_email_url": None, "mail_templates": None})

    assert response.status_code == 200, response.content
    assert (response.json()["verify_email_url"], response.json()["mail_templates"]) == (None, None)
    assert (stored(tenant).verify_email_url, stored(tenant).reset_password_url) == (None, MAIL_SETTINGS["reset_password_url"])


def test_each_change_leaves_one_record_naming_the_settings_changed(tenant):
    """One `client_update` record: every setting changed by name, plain values shown, JSON ones named only."""
    response, records = records_written_by(lambda: patch_settings(tenant, {**MAIL_SETTINGS, "industry": "SaaS"}))

    assert response.status_code == 200
    [record] = records
    assert (record.action, record.status, str(record.client_id)) == ("client_update", "success", tenant.client_id)
    changed = ["verify_email_url", "reset_password_url", "mail_sender_name", "mail_reply_to", "mail_templates"]
    assert record.metadata["fields"] == changed  # industry was already SaaS: not a change
    assert record.metadata["values"] == {name: MAIL_SETTINGS[name] for name in changed if name != "mail_templates"}
    assert record.metadata["surface"] == "api"
    assert "Confirm" not in str(record.metadata)
    [listed] = call(tenant, "audit?action=client_update", method="GET").json()["results"]
    assert listed["metadata"]["fields"] == changed


def test_a_patch_that_changes_nothing_records_nothing(tenant):
    """The same values again, or an empty body: 200, no record."""
    assert patch_settings(tenant, MAIL_SETTINGS).status_code == 200
    for body in (MAIL_SETTINGS, {}):
        response, records = records_written_by(lambda body=body: patch_settings(tenant, body))
        assert response.status_code == 200
        assert records == []


def test_the_next_call_with_any_key_of_the_client_sees_the_change(tenant):
    """Keys remembered by the process (tenants/key_cache.py) are forgotten by the save: no stale settings."""
    second_key = access_key_rotate(client=tenant.client)
    second = {"HTTP_AUTHORIZATION": f"Bearer {second_key}"}
    assert call(tenant, "", method="GET", **second).json()["mail_sender_name"] is None  # remembered now

    assert patch_settings(tenant, {"mail_sender_name": "Acme Support"}).status_code == 200

    assert call(tenant, "", method="GET", **second).json()["mail_sender_name"] == "Acme Support"


def test_another_clients_key_is_refused_and_changes_nothing(tenant, other_tenant):
    """Client B's key on A's path: 403 forbidden, A's row untouched, the refusal recorded under B."""
    before = stored(tenant).updated_at
    response, records = records_written_by(lambda: patch_settings(tenant, MAIL_SETTINGS, key_of=other_tenant))

    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"
    row = stored(tenant)
    assert (row.updated_at, row.mail_sender_name, row.verify_email_url) == (before, None, None)
    assert [(record.action, record.status, record.reason, str(record.client_id)) for record in records] == [
        ("client_update", "failed", "forbidden", other_tenant.client_id)
    ]


@pytest.mark.parametrize(
    ("body", "refused"),
    [
        ({"client_id": "00000000-0000-0000-0000-000000000000"}, {"client_id": ["This field is read-only."]}),
        ({"is_active": False}, {"is_active": ["This field is read-only."]}),
        ({"rate_limits": {"access_key": "100000/s"}}, {"rate_limits": ["This field is read-only."]}),
        ({"created_at": "2020-01-01T00:00:00Z"}, {"created_at": ["This field is read-only."]}),
        ({"documentation_url": "https://evil.example/"}, {"documentation_url": ["This field is read-only."]}),
        ({"users_database": "other"}, {"users_database": ["This field is read-only."]}),
        ({"colour": "blue"}, {"colour": ["Unknown field."]}),
    ],
    ids=["client_id", "is_active", "rate_limits", "created_at", "documentation_url", "users_database", "unknown"],
)
def test_a_key_that_is_no_client_setting_is_refused_and_nothing_changes(tenant, body, refused):
    """Read-only or unknown keys, even beside a valid setting: 400 naming each, nothing stored, a failed record."""
    response, records = records_written_by(lambda: patch_settings(tenant, {"mail_sender_name": "Acme Support", **body}))

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert response.json()["fields"] == refused
    row = stored(tenant)
    assert (row.mail_sender_name, row.is_active, row.rate_limits) == (None, True, {})
    assert [(record.action, record.status) for record in records] == [("client_update", "failed")]


def test_a_refused_value_stores_nothing_of_the_call(tenant):
    """One bad value among good ones: 400 naming it (with the rule broken), and none of the others stored."""
    response = patch_settings(tenant, {**MAIL_SETTINGS, "verify_email_url": "javascript:alert(1)"})

    assert response.status_code == 400
    assert response.json()["fields"] == {"verify_email_url": ["Must be an https URL."]}
    assert stored(tenant).mail_sender_name is None
    assert AuditLog.objects.filter(action="client_update", status="success").count() == 0


@pytest.mark.parametrize(
    ("sent", "status"),
    [(0, 200), (30, 200), (300, 200), (-1, 400), (301, 400), ("x", 400), ("30", 400), (1.5, 400), (True, 400), (None, 400)],
)
def test_the_refresh_reuse_interval_takes_whole_seconds_from_0_to_300(tenant, sent, status):
    """PATCH sets the interval from 0 to 300 and GET answers it; anything else is a 400 naming it, and nothing changes."""
    Client.objects.filter(pk=tenant.client.pk).update(refresh_reuse_interval=10)
    response = patch_settings(tenant, {"refresh_reuse_interval": sent})

    assert response.status_code == status, response.content
    expected = sent if status == 200 else 10
    if status == 400:
        assert list(response.json()["fields"]) == ["refresh_reuse_interval"]
    assert stored(tenant).refresh_reuse_interval == expected
    assert call(tenant, "", method="GET").json()["refresh_reuse_interval"] == expected


def test_the_smtp_url_is_taken_write_only_and_audited_by_name(tenant, client_smtp_server):
    """PATCH smtp_url: stored sealed, never answered (smtp_configured, smtp_host only), its record names it with no
    value; null removes it, and removing it again changes nothing."""
    url = smtp_url_of(client_smtp_server)
    response, records = records_written_by(lambda: patch_settings(tenant, {"smtp_url": url, "mail_sender_name": "Acme Support"}))

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["smtp_configured"], body["smtp_host"], "smtp_url" in body) == (True, "127.0.0.1", False)
    sealed = stored(tenant).smtp_url_sealed
    assert sealed and "Sm7p" not in sealed and "mailer" not in sealed
    [record] = records
    assert (record.metadata["fields"], record.metadata["values"]) == (["mail_sender_name", "smtp_url"], {"mail_sender_name": "Acme Support"})
    assert "mailer" not in str(record.metadata) and "mailer" not in response.content.decode()

    assert patch_settings(tenant, {"smtp_url": None}).json()["smtp_configured"] is False
    unchanged, records = records_written_by(lambda: patch_settings(tenant, {"smtp_url": ""}))
    assert (unchanged.status_code, records) == (200, [])
