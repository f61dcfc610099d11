"""Who may register a client: open, by token, or nobody (staff create clients), as the operator chose."""

import pytest

from audit.models import AuditLog
from tenants.models import Client

pytestmark = pytest.mark.django_db(transaction=True)

REGISTER = "/api/v1/clients/register"
TOKEN = "registration-token-0123456789"
BODY = {"client_name": "Newcomer", "industry": "SaaS"}


@pytest.mark.parametrize(
    "open_registration, token, authorization, status",
    [
        (False, "", None, 403),
        (False, "", f"Bearer {TOKEN}", 403),
        (True, "", None, 201),
        (False, TOKEN, None, 401),
        (False, TOKEN, "Bearer wrong-token", 401),
        (False, TOKEN, f"Bearer {TOKEN}", 201),
    ],
    ids=["closed", "closed ignores a token", "open", "token missing", "token wrong", "token right"],
)
def test_registration_answers_as_the_operator_configured(post_json, settings, open_registration, token, authorization, status):
    """Closed → 403 forbidden; open → 201; with a token only its bearer registers (else 401)."""
    settings.AUTHSVC_OPEN_REGISTRATION = open_registration
    settings.AUTHSVC_REGISTRATION_TOKEN = token
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    response = post_json(REGISTER, BODY, **headers)
    assert response.status_code == status, response.content
    assert Client.objects.exists() == (status == 201)
    if status == 403:
        assert response.json()["error"] == "forbidden"
        assert "closed" in response.json()["detail"]


def test_a_refused_registration_is_audited(post_json, settings):
    """Closed registration leaves one failed client_register record, reason forbidden."""
    settings.AUTHSVC_OPEN_REGISTRATION = False
    post_json(REGISTER, BODY, REMOTE_ADDR="198.51.100.4")
    record = AuditLog.objects.get(action="client_register")
    assert (record.status, record.reason, record.ip_address) == ("failed", "forbidden", "198.51.100.4")


def test_staff_still_create_clients_when_registration_is_closed(settings, capsys):
    """The command (and the admin) are staff surfaces: closing the API does not close them."""
    from django.core.management import call_command

    settings.AUTHSVC_OPEN_REGISTRATION = False
    call_command("create_client", "--name", "Staff Made", "--industry", "SaaS")
    assert Client.objects.filter(client_name="Staff Made").exists()
