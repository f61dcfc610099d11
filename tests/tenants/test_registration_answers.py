"""What registration answers tells a newcomer: the valid industries, and a created_at that reads back the same."""

import pytest

from tenants.models import Industry

pytestmark = pytest.mark.django_db(transaction=True)

REGISTER = "/api/v1/clients/register"


@pytest.mark.parametrize("industry", ["Alchemy", "ai/ml", ""])
def test_unknown_industry_lists_the_valid_ones(post_json, industry):
    """400 invalid_request whose fields.industry names every valid industry."""
    response = post_json(REGISTER, {"client_name": "Initech", "industry": industry})
    assert response.status_code == 400
    [message] = response.json()["fields"]["industry"]
    assert [value for value in Industry.values if value not in message] == []


def test_registration_created_at_is_what_the_client_reads_back(api, post_json):
    """The created_at of the registration answer equals the one GET /api/v1/{client_id}/ returns, on every store."""
    registered = post_json(REGISTER, {"client_name": "Initech", "industry": "SaaS"}).json()
    read = api.get(f"/api/v1/{registered['client_id']}/", HTTP_AUTHORIZATION=f"Bearer {registered['access_key']}")
    assert read.status_code == 200
    assert read.json()["created_at"] == registered["created_at"]
