"""One path, one API class per method (core.routing): requests, 405s and the schema agree."""

import pytest

from tests.accounts.conftest import call, sign_up

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def user(tenant):
    return sign_up(tenant)


def test_each_method_of_a_user_path_reaches_its_own_api_class(user):
    """GET reads, PATCH updates, DELETE deletes: three classes behind users/{id}."""
    assert call(user.tenant, f"users/{user.user_id}", method="GET").json()["email"] == user.email
    patched = call(user.tenant, f"users/{user.user_id}", {"custom_fields": {"plan": "pro"}}, method="PATCH")
    assert patched.json()["custom_fields"] == {"plan": "pro"}
    assert call(user.tenant, f"users/{user.user_id}", method="DELETE").status_code == 204
    assert call(user.tenant, f"users/{user.user_id}", method="GET").status_code == 404


def test_a_method_the_path_does_not_take_answers_405_listing_all_it_does(user):
    """POST on users/{id}: the envelope's 405, and Allow names every method of the path."""
    response = call(user.tenant, f"users/{user.user_id}", {}, method="POST")
    assert response.status_code == 405
    assert response.json()["error"] == "method_not_allowed"
    assert set(response["Allow"].split(", ")) == {"GET", "PATCH", "DELETE", "OPTIONS"}


def test_the_schema_describes_each_method_by_its_own_class(client):
    """/api/schema/: three operations on the path, with the summaries their classes declare."""
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    [path] = [path for path in schema["paths"] if path.endswith("/users/{user_id}")]
    operations = schema["paths"][path]
    assert {method for method in operations if method != "parameters"} == {"get", "patch", "delete"}
    assert operations["get"]["summary"] == "Read a user"
    assert operations["patch"]["summary"] == "Update custom_fields, is_active, email_verified or email"
    assert operations["delete"]["summary"] == "Delete a user and revoke their tokens"
