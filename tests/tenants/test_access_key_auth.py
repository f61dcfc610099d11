"""Access-key authentication and the path-client permission, on GET /api/v1/<client_id>/."""

import secrets
import uuid

import pytest
from django.db import connections

from tenants.access_keys import KEY_PATTERN
from tenants.models import AccessKey
from tenants.services import access_key_revoke, access_key_rotate, client_deactivate

pytestmark = pytest.mark.django_db(transaction=True)


def key_id_of(access_key: str) -> str:
    return KEY_PATTERN.match(access_key)["key_id"]


def get_detail(api, tenant, authorization: str | None, client_id: str | None = None):
    extra = {} if authorization is None else {"HTTP_AUTHORIZATION": authorization}
    return api.get(f"/api/v1/{client_id or tenant.client_id}/", **extra)


def assert_unauthorized(response) -> None:
    assert response.status_code == 401, response.content
    assert response.json()["error"] == "unauthorized"
    assert response.json()["detail"]
    assert response["WWW-Authenticate"].startswith("Bearer")


def assert_forbidden(response) -> None:
    assert response.status_code == 403, response.content
    assert response.json()["error"] == "forbidden"


def test_own_key_reads_own_client(api, tenant):
    """A client's own key on its own path answers 200 with its record and no secret."""
    response = get_detail(api, tenant, f"Bearer {tenant.access_key}")

    assert response.status_code == 200
    body = response.json()
    assert body["client_id"] == tenant.client_id
    assert body["client_name"] == "Acme"
    assert not {"access_key", "secret_hash", "access_keys"} & set(body)
    assert KEY_PATTERN.match(tenant.access_key)["secret"] not in response.content.decode()


BAD_CREDENTIALS = {
    "none": lambda key: None,
    "empty-bearer": lambda key: "Bearer",
    "basic-scheme": lambda key: f"Basic {key}",
    "extra-part": lambda key: f"Bearer {key} extra",
    "not-a-key": lambda key: "Bearer not-an-access-key",
    "non-ascii": lambda key: f"Bearer {key[:-1]}é",
    "wrong-secret": lambda key: f"Bearer ak_{key_id_of(key)}.{secrets.token_urlsafe(32)}",
    "unknown-key-id": lambda key: f"Bearer ak_{secrets.token_hex(8)}.{KEY_PATTERN.match(key)['secret']}",
}


@pytest.mark.parametrize("make_header", BAD_CREDENTIALS.values(), ids=BAD_CREDENTIALS.keys())
def test_missing_or_bad_key_is_unauthorized(api, tenant, make_header):
    """No key, a malformed one, a wrong secret or an unknown key id answers 401 with WWW-Authenticate."""
    assert_unauthorized(get_detail(api, tenant, make_header(tenant.access_key)))


def test_revoked_key_is_unauthorized(api, tenant):
    """A revoked key answers 401."""
    access_key_revoke(client=tenant.client, key_id=key_id_of(tenant.access_key))

    assert_unauthorized(get_detail(api, tenant, f"Bearer {tenant.access_key}"))


def test_rotated_key_keeps_the_old_one_until_it_is_revoked(api, tenant):
    """After a rotation both keys work; revoking the old one leaves only the new one."""
    new_key = access_key_rotate(client=tenant.client)

    assert get_detail(api, tenant, f"Bearer {tenant.access_key}").status_code == 200
    assert get_detail(api, tenant, f"Bearer {new_key}").status_code == 200

    access_key_revoke(client=tenant.client, key_id=key_id_of(tenant.access_key))

    assert_unauthorized(get_detail(api, tenant, f"Bearer {tenant.access_key}"))
    assert get_detail(api, tenant, f"Bearer {new_key}").status_code == 200


def test_rotation_with_revoke_existing_cuts_the_old_key_at_once(api, tenant):
    """Rotating with revoke_existing leaves only the new key valid."""
    new_key = access_key_rotate(client=tenant.client, revoke_existing=True)

    assert_unauthorized(get_detail(api, tenant, f"Bearer {tenant.access_key}"))
    assert get_detail(api, tenant, f"Bearer {new_key}").status_code == 200


def test_another_clients_key_is_forbidden_and_reveals_nothing(api, tenant, other_tenant):
    """A key of client A on client B's path answers 403 with nothing of B in the body."""
    response = get_detail(api, other_tenant, f"Bearer {tenant.access_key}")

    assert_forbidden(response)
    text = response.content.decode()
    assert other_tenant.client_id not in text
    assert other_tenant.client.client_name not in text
    assert set(response.json()) == {"error", "detail"}


def test_key_on_the_path_of_a_client_that_does_not_exist_is_forbidden(api, tenant):
    """A valid key on the path of an unknown client answers 403, like any other client's path."""
    assert_forbidden(get_detail(api, tenant, f"Bearer {tenant.access_key}", client_id=str(uuid.uuid4())))


def test_deactivated_client_is_forbidden(api, tenant):
    """The key of a deactivated client answers 403."""
    client_deactivate(client=tenant.client)

    assert_forbidden(get_detail(api, tenant, f"Bearer {tenant.access_key}"))


def test_using_a_key_records_last_used_at(api, tenant):
    """A successful call stamps the key's last_used_at."""
    key = AccessKey.objects.get(key_id=key_id_of(tenant.access_key))
    assert key.last_used_at is None

    get_detail(api, tenant, f"Bearer {tenant.access_key}")

    key.refresh_from_db()
    assert key.last_used_at is not None


def test_refused_key_does_not_record_last_used_at(api, tenant):
    """A wrong secret for a real key id leaves last_used_at untouched."""
    get_detail(api, tenant, BAD_CREDENTIALS["wrong-secret"](tenant.access_key))

    assert AccessKey.objects.get(key_id=key_id_of(tenant.access_key)).last_used_at is None


# --- hostile client_ids in paths --------------------------------------------------------

HOSTILE_CLIENT_IDS = {
    "dot-dot": lambda real: "../../etc",
    "sql": lambda real: "1;DROP TABLE clients",
    "mongo-operator": lambda real: '{"$gt":""}',
    "nul": lambda real: "%00",
    "nul-after-uuid": lambda real: f"{real}%00",
    "very-long": lambda real: "a" * 10_000,
    "uppercase-uuid": lambda real: real.upper(),
    "uuid-without-dashes": lambda real: real.replace("-", ""),
    "braced-uuid": lambda real: "{" + real + "}",
    "urn-uuid": lambda real: f"urn:uuid:{real}",
    "unicode": lambda real: "клиент-用户-ü",
    "users-table-name": lambda real: f"users_{real.replace('-', '')}",
}


@pytest.fixture
def table_names(settings):
    aliases = {"default", settings.AUTHSVC_TENANT_DATABASE}
    return lambda: {(alias, name) for alias in aliases for name in connections[alias].introspection.table_names()}


@pytest.mark.parametrize("make_id", HOSTILE_CLIENT_IDS.values(), ids=HOSTILE_CLIENT_IDS.keys())
def test_hostile_client_id_in_a_path_is_refused_without_naming_a_table(api, tenant, table_names, make_id):
    """A hostile or non-canonical client_id answers 4xx JSON on /api/ (with or without a key), 404 on docs."""
    client_id = make_id(tenant.client_id)
    before = table_names()

    for extra in ({}, tenant.auth):
        for method in ("get", "post"):
            response = getattr(api, method)(f"/api/v1/{client_id}/", **extra)
            assert 400 <= response.status_code < 500, response.status_code
            assert response["Content-Type"].startswith("application/json")
            assert {"error", "detail"} <= set(response.json())
    assert api.get(f"/docs/clients/{client_id}/").status_code == 404

    assert table_names() == before
