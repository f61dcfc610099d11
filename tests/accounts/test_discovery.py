"""Discovery documents (OpenID Discovery, RFC 8414): each issuer our tokens carry has one, whose `issuer` is
exactly that `iss` and whose `jwks_uri` verifies them; a verifier configured from it alone accepts this
client's access tokens and nothing else."""

import json
import urllib.request

import pytest
from django.conf import settings
from joserfc import jwt
from joserfc.errors import DecodeError, InvalidClaimError
from joserfc.jwk import KeySet
from rest_framework.test import APIClient

from tests.accounts.conftest import call, sign_up
from tests.conftest import make_tenant

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = "/.well-known/openid-configuration"
NOTHING_OF_AN_AUTHORIZATION_SERVER = {"response_types_supported": [], "response_modes_supported": [], "grant_types_supported": []}


def client_path(tenant) -> str:
    return f"/api/v1/{tenant.client_id}/.well-known/openid-configuration"


def rfc8414_client_path(tenant) -> str:
    return f"/.well-known/oauth-authorization-server/api/v1/{tenant.client_id}"


@pytest.fixture
def own_issuer(transactional_db):
    return make_tenant("Own Issuer Co", token_issuer="client")


@pytest.fixture
def shared_issuer(transactional_db):
    return make_tenant("Shared Issuer Co", token_issuer="service")


@pytest.mark.store_independent
@pytest.mark.parametrize("path", [ROOT, "/.well-known/oauth-authorization-server"])
def test_the_service_document_names_its_issuer_and_keys_and_nothing_it_does_not_do(path):
    """No key needed; `issuer` is AUTHSVC_ISSUER, `jwks_uri` our JWKS; no endpoint, grant or ID-token field we lack."""
    response = APIClient().get(path)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == f"public, max-age={settings.JWKS_MAX_AGE_SECONDS}"
    assert response.json() == {
        "issuer": settings.AUTHSVC_ISSUER,
        "jwks_uri": f"{settings.AUTHSVC_PUBLIC_URL}/.well-known/jwks.json",
        **NOTHING_OF_AN_AUTHORIZATION_SERVER,
        "service_documentation": f"{settings.AUTHSVC_PUBLIC_URL}/api/docs/",
    }


@pytest.mark.store_independent
@pytest.mark.parametrize("where", [client_path, rfc8414_client_path], ids=["openid-configuration", "rfc8414-path-inserted"])
def test_a_client_with_its_own_issuer_has_its_own_document_with_its_endpoints(own_issuer, where):
    """`issuer` is AUTHSVC_ISSUER/api/v1/<client_id>; it adds this client's revocation and introspection endpoints."""
    response = APIClient().get(where(own_issuer))
    assert response.status_code == 200
    assert response["Cache-Control"] == f"public, max-age={settings.JWKS_MAX_AGE_SECONDS}"
    api = f"{settings.AUTHSVC_PUBLIC_URL}/api/v1/{own_issuer.client_id}"
    assert response.json() == {
        "issuer": f"{settings.AUTHSVC_ISSUER}/api/v1/{own_issuer.client_id}",
        "jwks_uri": f"{settings.AUTHSVC_PUBLIC_URL}/.well-known/jwks.json",
        **NOTHING_OF_AN_AUTHORIZATION_SERVER,
        "revocation_endpoint": f"{api}/token/revoke",
        "revocation_endpoint_auth_methods_supported": ["authsvc_access_key"],
        "introspection_endpoint": f"{api}/token/verify",
        "introspection_endpoint_auth_methods_supported": ["authsvc_access_key"],
        "service_documentation": f"{settings.AUTHSVC_PUBLIC_URL}/docs/clients/{own_issuer.client_id}/",
    }


@pytest.mark.store_independent
def test_a_client_on_the_shared_issuer_has_no_document_of_its_own_and_is_pointed_to_the_service_one(shared_issuer):
    """A document whose `issuer` its tokens do not carry would fail them all: 404, in the API's envelope, naming the root one."""
    response = APIClient().get(client_path(shared_issuer))
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
    assert f"{settings.AUTHSVC_PUBLIC_URL}{ROOT}" in response.json()["detail"]
    assert APIClient().get(rfc8414_client_path(shared_issuer)).status_code == 404


@pytest.mark.store_independent
def test_an_unknown_client_has_no_document_and_a_write_is_not_allowed(own_issuer):
    """404 for a client_id nobody registered; the documents are read-only (405 in the envelope)."""
    unknown = APIClient().get("/api/v1/00000000-0000-4000-8000-000000000000/.well-known/openid-configuration")
    assert (unknown.status_code, unknown.json()["error"]) == (404, "not_found")
    written = APIClient().post(client_path(own_issuer), {}, format="json")
    assert (written.status_code, written.json()["error"]) == (405, "method_not_allowed")
    assert APIClient().post(ROOT).status_code == 405


# --- a verifier of another library, configured from the discovery URL alone ---------------------


def fetch_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as answer:
        return json.load(answer)


class DiscoveredVerifier:
    """What standard JWT middleware does with an issuer URL, done with joserfc (not the PyJWT that signs):
    GET <issuer>/.well-known/openid-configuration, check its `issuer`, fetch `jwks_uri`, verify."""

    def __init__(self, issuer: str, audience: str | None):
        metadata = fetch_json(issuer + "/.well-known/openid-configuration")
        assert metadata["issuer"] == issuer, "the document describes another issuer: its data must not be used"
        self.keys = KeySet.import_key_set(fetch_json(metadata["jwks_uri"]))
        claims = {"iss": {"essential": True, "value": issuer}, "exp": {"essential": True}, "sub": {"essential": True}}
        if audience is not None:
            claims["aud"] = {"essential": True, "value": audience}
        self.registry = jwt.JWTClaimsRegistry(**claims)

    def verify(self, token: str) -> dict:
        decoded = jwt.decode(token, self.keys, algorithms=["RS256"])
        assert decoded.header["typ"] == "at+jwt"
        self.registry.validate(decoded.claims)
        return decoded.claims


@pytest.fixture
def live_issuer(live_server, settings):
    """The service as its own clients reach it: public URL and issuer are the live server's."""
    settings.AUTHSVC_PUBLIC_URL = settings.AUTHSVC_ISSUER = live_server.url
    return live_server.url


def test_a_verifier_configured_from_a_clients_own_issuer_accepts_its_tokens_and_pins_the_tenant_by_iss(live_issuer, other_tenant):
    """Client-issuer tokens verify from AUTHSVC_ISSUER/api/v1/<id> alone; another client's fail `iss` even without an `aud` check."""
    tenant = make_tenant("Own Issuer Co", token_issuer="client")
    user = sign_up(tenant)
    issuer = f"{live_issuer}/api/v1/{tenant.client_id}"

    claims = DiscoveredVerifier(issuer, audience=tenant.client_id).verify(user.access_token)

    assert (claims["iss"], claims["aud"], claims["sub"]) == (issuer, tenant.client_id, user.user_id)
    assert call(tenant, "token/verify", {"token": user.access_token}).json()["iss"] == issuer
    with pytest.raises(InvalidClaimError, match="iss"):
        DiscoveredVerifier(issuer, audience=None).verify(sign_up(other_tenant, "eve@example.com").access_token)
    with pytest.raises(DecodeError):
        DiscoveredVerifier(issuer, audience=tenant.client_id).verify(user.refresh_token)


def test_a_verifier_configured_from_the_service_issuer_accepts_shared_issuer_tokens_and_needs_aud(live_issuer):
    """Service-issuer tokens verify from AUTHSVC_ISSUER alone; there only `aud` refuses another client's token."""
    tenant = make_tenant("Shared Issuer Co", token_issuer="service")
    neighbour = make_tenant("Shared Neighbour Co", token_issuer="service")
    user = sign_up(tenant)

    claims = DiscoveredVerifier(live_issuer, audience=tenant.client_id).verify(user.access_token)

    assert (claims["iss"], claims["aud"]) == (live_issuer, tenant.client_id)
    with pytest.raises(InvalidClaimError, match="aud"):
        DiscoveredVerifier(live_issuer, audience=tenant.client_id).verify(sign_up(neighbour, "eve@example.com").access_token)
