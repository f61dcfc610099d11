"""Discovery documents: what a verifier configured with nothing but an issuer URL reads to find our keys.

JWT middleware (Spring's `issuer-uri`, ASP.NET's `Authority`, go-oidc, openid-client, joserfc with a
fetched key set) takes an issuer, GETs `<issuer>/.well-known/openid-configuration` (or RFC 8414's
`/.well-known/oauth-authorization-server`), checks that its `issuer` is the one it was given, and
verifies tokens with the keys at `jwks_uri` and that `iss`. So each issuer our tokens carry has its
document, and each document's `issuer` is exactly what those tokens carry:

- the service's issuer (`AUTHSVC_ISSUER`), at the root: tokens of clients on `token_issuer=service`;
- a client's own (`AUTHSVC_ISSUER/api/v1/<client_id>`), beside its API: tokens of clients on
  `token_issuer=client`. `iss` then pins the tenant even for middleware that skips `aud`. A client on
  the service's issuer has no document of its own (404): one whose `issuer` its tokens do not carry
  would make every verifier configured from it refuse them.

Only what we do is listed. We are not an OpenID Provider: no authorization endpoint, no OAuth token
endpoint (login is ours, not a grant type), no ID tokens, so none of those fields appear, and the
documents lack what OpenID Discovery requires of a provider (`authorization_endpoint`,
`token_endpoint`, `subject_types_supported`, `id_token_signing_alg_values_supported`); verifiers of
access tokens read only `issuer` and `jwks_uri`. Fields whose RFC 8414 default would claim more than
we do are given as empty lists (the default grant types are `authorization_code` and `implicit`).
A client's document adds its revocation (RFC 7009) and introspection (RFC 7662) endpoints; they take
the client's access key as a Bearer credential, which no registered client authentication method
names, hence our own `authsvc_access_key` (left out, RFC 8414 would mean `client_secret_basic`).
"""

import uuid

from django.conf import settings
from django.http import Http404, HttpRequest, JsonResponse
from django.urls import reverse
from django.views.decorators.http import require_safe

from accounts.tokens import client_issuer, service_issuer
from core.errors import NotFound
from core.queries import one_or_none
from tenants.models import Client, TokenIssuer
from tenants.selectors import documentation_url

ACCESS_KEY_AUTH_METHOD = "authsvc_access_key"


def _metadata(issuer: str) -> dict:
    return {
        "issuer": issuer,
        "jwks_uri": settings.AUTHSVC_PUBLIC_URL + reverse("jwks"),
        "response_types_supported": [],
        "response_modes_supported": [],
        "grant_types_supported": [],
    }


def service_metadata() -> dict:
    return {**_metadata(service_issuer()), "service_documentation": settings.AUTHSVC_PUBLIC_URL + reverse("swagger-ui")}


def client_metadata(client: Client) -> dict:
    endpoint = {"client_id": client.client_id}
    return {
        **_metadata(client_issuer(client.client_id)),
        "revocation_endpoint": settings.AUTHSVC_PUBLIC_URL + reverse("token-revoke", kwargs=endpoint),
        "revocation_endpoint_auth_methods_supported": [ACCESS_KEY_AUTH_METHOD],
        "introspection_endpoint": settings.AUTHSVC_PUBLIC_URL + reverse("token-verify", kwargs=endpoint),
        "introspection_endpoint_auth_methods_supported": [ACCESS_KEY_AUTH_METHOD],
        "service_documentation": documentation_url(client),
    }


def _document(metadata: dict) -> JsonResponse:
    # Cached as long as the JWKS: a switch of a client's issuer reaches verifiers as fast as a new key.
    response = JsonResponse(metadata)
    response["Cache-Control"] = f"public, max-age={settings.JWKS_MAX_AGE_SECONDS}"
    return response


def _client_with_own_issuer(client_id: uuid.UUID) -> Client:
    client = one_or_none(Client.objects.filter(pk=client_id).only("client_id", "token_issuer"))
    if client is None:
        raise NotFound("No such client.")
    if client.token_issuer != TokenIssuer.CLIENT:
        raise NotFound(
            "This client's tokens carry the service's issuer: its discovery document is "
            f"{settings.AUTHSVC_PUBLIC_URL}{reverse('openid-configuration')}."
        )
    return client


@require_safe
def service_discovery(request: HttpRequest) -> JsonResponse:
    """GET /.well-known/openid-configuration (and RFC 8414's name for it): the service's issuer."""
    return _document(service_metadata())


@require_safe
def client_discovery(request: HttpRequest, client_id: uuid.UUID) -> JsonResponse:
    """GET /api/v1/<client_id>/.well-known/openid-configuration: the client's own issuer."""
    return _document(client_metadata(_client_with_own_issuer(client_id)))


@require_safe
def client_oauth_metadata(request: HttpRequest, client_id: uuid.UUID) -> JsonResponse:
    """GET /.well-known/oauth-authorization-server/api/v1/<client_id>: the same, where RFC 8414 §3.1 puts it."""
    try:
        client = _client_with_own_issuer(client_id)
    except NotFound:
        raise Http404 from None  # outside /api/: the site's 404, not the API's envelope
    return _document(client_metadata(client))
