"""POST /api/v1/clients/register: body, validation, key storage, registration token, per-IP limit."""

import uuid
from datetime import datetime

import pytest

from core.errors import InvalidRequest
from tenants.access_keys import KEY_PATTERN
from tenants.models import AccessKey, Client
from tenants.services import client_register

pytestmark = pytest.mark.django_db(transaction=True)

REGISTER = "/api/v1/clients/register"
RESPONSE_FIELDS = {"client_id", "client_name", "industry", "access_key", "documentation_url", "created_at"}
# Seconds from 0 to 300 only: not below, not above, not as text, a fraction, a bool or null.
BAD_INTERVALS = [-1, 301, "30", "x", 1.5, True, None]


@pytest.fixture
def register(post_json):
    def call(body=None, **extra):
        return post_json(REGISTER, {"client_name": "Acme", "industry": "SaaS"} if body is None else body, **extra)

    return call


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["error"] == code
    assert isinstance(body["detail"], str) and body["detail"]
    return body


def test_register_returns_exactly_the_documented_fields(register, settings):
    """A registration answers 201 with exactly the six documented fields, each well formed."""
    response = register({"client_name": "Acme Robotics", "industry": "AI/ML"})

    assert response.status_code == 201
    body = response.json()
    assert set(body) == RESPONSE_FIELDS
    client_id = uuid.UUID(body["client_id"])
    assert body["client_id"] == str(client_id)
    assert body["client_name"] == "Acme Robotics"
    assert body["industry"] == "AI/ML"
    assert KEY_PATTERN.match(body["access_key"])
    assert body["documentation_url"] == f"{settings.AUTHSVC_PUBLIC_URL}/docs/clients/{client_id}/"
    assert datetime.fromisoformat(body["created_at"].replace("Z", "+00:00")).tzinfo is not None


def test_register_stores_the_client_with_its_options(register):
    """The stored client carries the name (trimmed), industry and optional settings sent."""
    schema = {"type": "object", "properties": {"plan": {"type": "string"}}}
    body = register(
        {"client_name": "  Shop  ", "industry": "E-commerce", "require_email_verification": True, "custom_fields_schema": schema}
    ).json()

    client = Client.objects.get(pk=body["client_id"])
    assert (client.client_name, client.industry, client.is_active) == ("Shop", "E-commerce", True)
    assert client.require_email_verification is True
    assert client.custom_fields_schema == schema
    assert client.access_keys.count() == 1


@pytest.mark.parametrize("interval", [None, 0, 300], ids=["left-out", "strict", "longest"])
def test_register_takes_a_refresh_reuse_interval_that_the_client_reads_back(register, api, interval):
    """The interval sent (0 when left out) is stored and answered by GET /api/v1/{client_id}/."""
    sent = {} if interval is None else {"refresh_reuse_interval": interval}
    body = register({"client_name": "Tabs Co", "industry": "SaaS", **sent}).json()

    api.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access_key']}")
    shown = api.get(f"/api/v1/{body['client_id']}/").json()
    assert shown["refresh_reuse_interval"] == Client.objects.get(pk=body["client_id"]).refresh_reuse_interval == (interval or 0)


@pytest.mark.store_independent
@pytest.mark.parametrize("bad", BAD_INTERVALS)
def test_the_registration_service_refuses_an_interval_out_of_range(bad):
    """Every surface registering through the service (commands, tests) is held to 0-300 whole seconds too."""
    with pytest.raises(InvalidRequest) as refused:
        client_register(client_name="Tabs Co", industry="SaaS", refresh_reuse_interval=bad)
    assert "refresh_reuse_interval" in refused.value.fields
    assert Client.objects.count() == 0


@pytest.mark.parametrize("industry", ["AI/ML", "E-commerce", "SaaS", "Other", "Fintech"])
def test_register_accepts_each_industry(register, industry):
    """Every listed industry registers."""
    response = register({"client_name": f"Client {industry}", "industry": industry})

    assert response.status_code == 201
    assert response.json()["industry"] == industry


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"industry": "SaaS"}, "client_name"),
        ({"client_name": "Acme"}, "industry"),
        ({"client_name": "   ", "industry": "SaaS"}, "client_name"),
        ({"client_name": "Acme", "industry": "Farming"}, "industry"),
        ({"client_name": 12345, "industry": "SaaS"}, "client_name"),
        ({"client_name": ["Acme"], "industry": "SaaS"}, "client_name"),
        ({"client_name": "A" * 201, "industry": "SaaS"}, "client_name"),
        ({"client_name": "Acme\x00Corp", "industry": "SaaS"}, "client_name"),
        ({"client_name": "Acme", "industry": "SaaS", "require_email_verification": "true"}, "require_email_verification"),
        ({"client_name": "Acme", "industry": "SaaS", "require_email_verification": 1}, "require_email_verification"),
        ({"client_name": "Acme", "industry": "SaaS", "custom_fields_schema": {"type": "no-such-type"}}, "custom_fields_schema"),
        ({"client_name": "Acme", "industry": "SaaS", "custom_fields_schema": ["not", "an", "object"]}, "custom_fields_schema"),
        *[({"client_name": "Acme", "industry": "SaaS", "refresh_reuse_interval": bad}, "refresh_reuse_interval") for bad in BAD_INTERVALS],
    ],
    ids=[
        "missing-name",
        "missing-industry",
        "blank-name",
        "unknown-industry",
        "name-as-number",
        "name-as-list",
        "name-too-long",
        "nul-in-name",
        "verification-as-string",
        "verification-as-number",
        "schema-invalid",
        "schema-not-object",
        *[f"interval-{bad!r}" for bad in BAD_INTERVALS],
    ],
)
def test_register_rejects_bad_fields_with_field_errors(register, body, field):
    """A bad or missing field answers 400 invalid_request naming that field, and creates nothing."""
    error = assert_error(register(body), 400, "invalid_request")

    assert set(error) == {"error", "detail", "fields"}
    assert field in error["fields"]
    assert Client.objects.count() == 0


@pytest.mark.parametrize("payload", ['{"client_name": "Acme", ', "not json", "", '["client_name", "Acme"]'])
def test_register_rejects_a_body_that_is_not_a_json_object(register, payload):
    """Malformed JSON (or JSON that is not an object) answers the 400 envelope, not a crash."""
    assert_error(register(payload), 400, "invalid_request")
    assert Client.objects.count() == 0


def test_register_stores_the_access_key_only_as_a_hash(register):
    """No column of clients or access_keys holds the plaintext key or its secret part."""
    access_key = register().json()["access_key"]
    secret = KEY_PATTERN.match(access_key)["secret"]

    stored = [*Client.objects.values(), *AccessKey.objects.values()]
    assert stored
    for row in stored:
        for column, value in row.items():
            assert secret not in str(value), column
    assert AccessKey.objects.get().secret_hash != secret


class TestRegistrationToken:
    TOKEN = "reg-token-for-tests"

    @pytest.fixture(autouse=True)
    def _token_required(self, settings):
        settings.AUTHSVC_REGISTRATION_TOKEN = self.TOKEN

    @pytest.mark.parametrize("authorization", [None, "Bearer wrong-token", f"Basic {TOKEN}", "Bearer", f"Bearer {TOKEN}x"])
    def test_register_without_the_right_token_is_unauthorized(self, register, authorization):
        """With a registration token configured, a missing or wrong one answers 401 and creates nothing."""
        extra = {} if authorization is None else {"HTTP_AUTHORIZATION": authorization}
        response = register(**extra)

        assert_error(response, 401, "unauthorized")
        assert response["WWW-Authenticate"].startswith("Bearer")
        assert Client.objects.count() == 0

    def test_register_with_the_right_token_succeeds(self, register):
        """The configured token as a Bearer credential lets the registration through."""
        response = register(HTTP_AUTHORIZATION=f"Bearer {self.TOKEN}")

        assert response.status_code == 201
        assert Client.objects.count() == 1


class TestRegistrationRateLimit:
    @pytest.fixture(autouse=True)
    def _low_limit(self, settings):
        # An hour window rather than a minute, so a window boundary cannot fall inside the test.
        settings.AUTHSVC_REGISTRATION_RATE = "3/h"

    def test_register_is_limited_per_ip(self, register):
        """The fourth registration from one IP within the window answers 429 with Retry-After."""
        for n in range(3):
            assert register({"client_name": f"C{n}", "industry": "SaaS"}, REMOTE_ADDR="203.0.113.7").status_code == 201

        response = register({"client_name": "C4", "industry": "SaaS"}, REMOTE_ADDR="203.0.113.7")

        assert_error(response, 429, "rate_limited")
        assert int(response["Retry-After"]) > 0
        assert Client.objects.count() == 3

    def test_register_limit_does_not_touch_other_ips(self, register):
        """One IP at its limit leaves another IP free to register."""
        for n in range(4):
            register({"client_name": f"C{n}", "industry": "SaaS"}, REMOTE_ADDR="203.0.113.7")

        response = register({"client_name": "Other", "industry": "SaaS"}, REMOTE_ADDR="198.51.100.9")

        assert response.status_code == 201


def test_register_allows_twenty_attempts_an_hour_by_default(register):
    """Without AUTHSVC_REGISTRATION_RATE, the 21st attempt from one IP answers 429."""
    # Invalid bodies count too (the limit runs first) and keep this test free of schema work.
    statuses = [register({}, REMOTE_ADDR="203.0.113.8").status_code for _ in range(21)]

    assert statuses == [400] * 20 + [429]


@pytest.mark.django_db(transaction=True)
def test_a_registration_whose_collection_cannot_be_made_leaves_no_client(post_json, monkeypatch):
    """The store refuses the new collection: the answer is a JSON 503, and neither the client nor its key remains."""
    from django.db import OperationalError

    from tenants import services
    from tenants.models import AccessKey, Client

    def refuse(client, **options):
        raise OperationalError("disk full")

    monkeypatch.setattr(services, "provision_user_collection", refuse)
    response = post_json("/api/v1/clients/register", {"client_name": "Doomed", "industry": "SaaS"})
    assert response.status_code == 503, response.content
    assert response.json()["error"] == "service_unavailable"
    assert not Client.objects.exists() and not AccessKey.objects.exists()
