"""TokenVerifier: access tokens checked in the client's process with the issuer's keys (discovery, then
JWKS, fetched once), across a signing-key rotation, refusing other clients' tokens and refresh tokens;
online mode also asks token/verify."""

import io
import os
import uuid

import jwt
import pytest
from conftest import PASSWORD, sdk_for, unique_email
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.management import call_command

from authsvc_client import AuthsvcConnectionError
from authsvc_client.verification import AccessClaims, TokenRejected, TokenVerifier
from tests.accounts.conftest import SignedUpUser, old_format_refresh_token
from tests.conftest import make_tenant
from tests.stores import free_port

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.store_independent]

HMAC_SECRET = "a-shared-secret-of-at-least-32-bytes"  # HS256 with a public key's bytes is the classic confusion


def verifier_for(service, tenant, attempts, **options) -> TokenVerifier:
    return TokenVerifier(service, tenant.client_id, http_client=attempts.http(), **options)


@pytest.fixture
def verifier(service, tenant, attempts) -> TokenVerifier:
    return verifier_for(service, tenant, attempts)


@pytest.fixture
def pair(sdk):
    return sdk.signup(unique_email(), PASSWORD).tokens


def test_a_live_access_token_verifies_with_no_call_per_request(verifier, pair, tenant, service, attempts):
    """Discovery and keys are fetched once; then every verification is local (no request at all)."""
    attempts.clear()
    claims = verifier.verify(pair.access_token)
    assert isinstance(claims, AccessClaims)
    assert (claims.user_id, claims.client_id, claims.issuer) == (pair.user_id, tenant.client_id, f"{service}/api/v1/{tenant.client_id}")
    assert claims.session_id and claims.expires_at > claims.issued_at
    fetched = list(attempts.sent)
    assert fetched == [f"GET /api/v1/{tenant.client_id}/.well-known/openid-configuration", "GET /.well-known/jwks.json"]
    for _ in range(20):
        verifier.verify(pair.access_token)
    assert attempts.sent == fetched and verifier.key_fetches == 1


@pytest.mark.parametrize(("token_issuer", "reason"), [("service", "audience"), ("client", "issuer")])
def test_another_clients_token_is_refused(service, attempts, token_issuer, reason):
    """Same service, same keys: on a shared issuer `aud` refuses it; with own issuers `iss` does first."""
    ours, theirs = make_tenant("Ours", token_issuer=token_issuer), make_tenant("Theirs", token_issuer=token_issuer)
    their_token = sdk_for(service, theirs, attempts).signup(unique_email(), PASSWORD).tokens.access_token
    verifier = verifier_for(service, ours, attempts)
    with pytest.raises(TokenRejected) as refused:
        verifier.verify(their_token)
    assert refused.value.reason == reason


def test_a_service_issuer_client_is_configured_from_the_root_discovery_document(service, attempts):
    """No document of its own (404): the service's, whose issuer its tokens carry."""
    tenant = make_tenant("Shared", token_issuer="service")
    token = sdk_for(service, tenant, attempts).signup(unique_email(), PASSWORD).tokens.access_token
    assert verifier_for(service, tenant, attempts).verify(token).issuer == service


@pytest.mark.parametrize(
    ("forge", "reason"),
    [
        (lambda pair: pair.refresh_token, "malformed"),
        (lambda pair: pair.access_token[:-4] + ("AAAA" if not pair.access_token.endswith("AAAA") else "BBBB"), "signature"),
        (lambda pair: jwt.encode({"sub": pair.user_id}, HMAC_SECRET, algorithm="HS256", headers={"typ": "at+jwt", "kid": "k"}), "algorithm"),
        (lambda pair: "not.a.jwt", "malformed"),
    ],
    ids=["refresh-token", "altered-signature", "hs256", "garbage"],
)
def test_what_is_not_an_access_token_signed_by_the_issuer_is_refused(verifier, pair, forge, reason):
    """A refresh token, an altered signature, another algorithm, garbage: each refused, saying why."""
    with pytest.raises(TokenRejected) as refused:
        verifier.verify(forge(pair))
    assert refused.value.reason == reason


def test_a_refresh_token_issued_as_a_jwt_by_an_earlier_release_is_refused_by_its_type(verifier, pair, tenant):
    """Signed by the service's key, of this issuer and audience, unexpired: only `typ` (not at+jwt) refuses it."""
    user = SignedUpUser(tenant, pair.user_id, "", PASSWORD, pair.access_token, pair.refresh_token)
    old_refresh = old_format_refresh_token(user, iss=jwt.decode(pair.access_token, options={"verify_signature": False})["iss"])
    with pytest.raises(TokenRejected) as refused:
        verifier.verify(old_refresh)
    assert refused.value.reason == "not_an_access_token"


def test_an_expired_token_is_refused(verifier, sdk, settings):
    """`exp` is checked: a token the service minted already expired (a lifetime of minus one minute)."""
    settings.AUTHSVC_ACCESS_TOKEN_MINUTES = -1
    expired = sdk.signup(unique_email(), PASSWORD).tokens.access_token
    with pytest.raises(TokenRejected) as refused:
        verifier.verify(expired)
    assert refused.value.reason == "expired"


# --- key rotation ------------------------------------------------------------------------------


def pem_of(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()


@pytest.fixture
def key_file(tmp_path, settings):
    """A signing-key file of this test's own, so rotating it leaves the suite's keys alone."""
    path = tmp_path / "signing_keys.pem"
    path.write_text(pem_of(rsa.generate_private_key(public_exponent=65537, key_size=2048)))
    os.chmod(path, 0o600)
    settings.AUTHSVC_JWT_PRIVATE_KEY_FILE = str(path)
    return path


def kid_of(token: str) -> str:
    return jwt.get_unverified_header(token)["kid"]


def test_after_rotate_signing_key_a_token_of_the_new_key_verifies_after_one_refetch(key_file, sdk, verifier, attempts):
    """The verifier knew only the old key; a token with the new kid refetches the JWKS once and verifies;
    made-up kids after it cause no more fetches (rate limit); the old key's tokens still verify."""
    email = unique_email()
    before = sdk.signup(email, PASSWORD).tokens
    verifier.verify(before.access_token)
    call_command("rotate_signing_key", "--now", "--actor", "sdk-test", stdout=io.StringIO())
    after = sdk.login(email, PASSWORD)
    assert kid_of(after.access_token) != kid_of(before.access_token)
    assert verifier.verify(after.access_token).user_id == before.user_id
    assert verifier.key_fetches == 2
    for _ in range(5):
        forged = jwt.encode({"sub": "x"}, rsa.generate_private_key(public_exponent=65537, key_size=2048), algorithm="RS256",
                            headers={"typ": "at+jwt", "kid": uuid.uuid4().hex})
        with pytest.raises(TokenRejected, match="unknown_key"):
            verifier.verify(forged)
    assert verifier.key_fetches == 2
    assert verifier.verify(before.access_token).user_id == before.user_id


# --- online mode and failures ------------------------------------------------------------------


def test_online_mode_sees_a_logout_that_offline_verification_cannot(service, tenant, sdk, pair, attempts):
    """After logout the token is still valid offline until exp; online mode asks token/verify and refuses it."""
    offline = verifier_for(service, tenant, attempts)
    online = verifier_for(service, tenant, attempts, online=True, access_key=tenant.access_key)
    assert online.verify(pair.access_token).introspection.email == sdk.get_user(pair.user_id).email
    sdk.logout(pair.refresh_token)
    assert offline.verify(pair.access_token).user_id == pair.user_id
    with pytest.raises(TokenRejected) as refused:
        online.verify(pair.access_token)
    assert refused.value.reason == "inactive"


def test_online_mode_needs_the_access_key(service, tenant):
    """token/verify is called with the client's key: without one, the verifier refuses to be built."""
    with pytest.raises(ValueError, match="access key"):
        TokenVerifier(service, tenant.client_id, online=True)


def test_when_the_keys_cannot_be_fetched_it_is_an_outage_not_a_verdict(pair, tenant):
    """No keys known and the service unreachable: AuthsvcConnectionError, never TokenRejected."""
    verifier = TokenVerifier(f"http://127.0.0.1:{free_port()}", tenant.client_id)
    with pytest.raises(AuthsvcConnectionError):
        verifier.verify(pair.access_token)
