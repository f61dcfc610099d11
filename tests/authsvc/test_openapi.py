import json

import pytest
import yaml
from django.core.management import call_command

pytestmark = pytest.mark.django_db

PER_CLIENT_PATHS = [
    "signup", "login", "token/refresh", "token/verify", "token/revoke", "logout", "email/verify", "email/resend",
    "password/forgot", "password/reset", "users", "users/{user_id}", "audit",
]


def test_schema_validates_without_warnings(tmp_path):
    """`manage.py spectacular --validate --fail-on-warn` passes: every view has a described schema."""
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    assert (tmp_path / "schema.yaml").stat().st_size > 0


def test_schema_is_served_as_yaml_and_json(client):
    """GET /api/schema/ answers OpenAPI 3 YAML, and JSON with ?format=json."""
    as_yaml = yaml.safe_load(client.get("/api/schema/").content)
    as_json = json.loads(client.get("/api/schema/?format=json").content)
    assert as_yaml["openapi"].startswith("3.") and as_yaml == as_json


@pytest.mark.parametrize("path", PER_CLIENT_PATHS)
def test_every_per_client_endpoint_is_documented_with_the_access_key_and_envelope(client, path):
    """Each per-client endpoint is in the schema, needs the AccessKey scheme and documents the error envelope."""
    schema = json.loads(client.get("/api/schema/?format=json").content)
    operations = schema["paths"][f"/api/v1/{{client_id}}/{path}"]
    for operation in operations.values():
        assert operation["security"] == [{"AccessKey": []}]
        assert "401" in operation["responses"] and "429" in operation["responses"]
        error = operation["responses"]["401"]["content"]["application/json"]["schema"]["$ref"]
        assert error.endswith("/ErrorOutput")


def test_registration_is_documented_without_an_access_key(client):
    """Registration needs no access key and returns the 201 body of the contract."""
    schema = json.loads(client.get("/api/schema/?format=json").content)
    operation = schema["paths"]["/api/v1/clients/register"]["post"]
    created = operation["responses"]["201"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    properties = schema["components"]["schemas"][created]["properties"]
    assert set(properties) == {"client_id", "client_name", "industry", "access_key", "documentation_url", "created_at"}
    assert {"AccessKey": []} not in operation.get("security", [])


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_docs_ui_is_served_from_local_assets(client, path):
    """Swagger UI and Redoc load their scripts from our static files (the sidecar), not a CDN."""
    response = client.get(path)
    html = response.content.decode()
    assert response.status_code == 200
    assert "/static/drf_spectacular_sidecar/" in html
    assert "cdn.jsdelivr" not in html and "unpkg.com" not in html
