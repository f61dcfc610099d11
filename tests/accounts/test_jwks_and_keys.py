"""JWT claims checked offline against the JWKS document, opaque refresh tokens, and the signing-key file
(how rotation stages keys: test_signing_key_rotation.py)."""

import io
import logging
import os
import stat
import time
import uuid
from datetime import timedelta

import jwt
import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.test import APIClient

from accounts.signing_keys import SigningKey, generate_private_key, keyring, write_keyring
from tests.accounts.conftest import call, refresh_row

pytestmark = pytest.mark.django_db(transaction=True)

PRIVATE_JWK_MEMBERS = {"d", "p", "q", "dp", "dq", "qi"}



def jwks() -> dict:
    response = APIClient().get("/.well-known/jwks.json")
    assert response.status_code == 200
    return response.json()


def kids() -> list[str]:
    return [key["kid"] for key in jwks()["keys"]]


def own_issuer(client_id: str) -> str:
    return f"{settings.AUTHSVC_ISSUER}/api/v1/{client_id}"


def decode_offline(token: str, audience: str, issuer: str | None = None) -> dict:
    """What a relying party does: pick the JWKS key by kid, check signature, audience and issuer (the client's own)."""
    header = jwt.get_unverified_header(token)
    (jwk,) = [key for key in jwks()["keys"] if key["kid"] == header["kid"]]
    return jwt.decode(token, jwt.PyJWK(jwk).key, algorithms=["RS256"], audience=audience, issuer=issuer or own_issuer(audience))


def rotate(*options: str) -> str:
    out = io.StringIO()
    call_command("rotate_signing_key", *options, stdout=out)
    return out.getvalue()


def verify(user, token: str) -> dict:
    return call(user.tenant, "token/verify", {"token": token}).json()


def test_the_jwks_document_publishes_public_rsa_keys_only(key_file):
    """Every key: RSA, RS256, for signatures, with a kid, and no private member."""
    document = jwks()
    assert [key["kid"] for key in document["keys"]] == [keyring().current.kid]
    for key in document["keys"]:
        assert key["kty"] == "RSA"
        assert key["alg"] == "RS256"
        assert key["use"] == "sig"
        assert not PRIVATE_JWK_MEMBERS & set(key)


def test_an_access_token_verifies_offline_with_the_claims_of_the_contract(key_file, user):
    """RS256, typ at+jwt, a published kid, and iss, aud, sub, client_id, email, token_type, jti, iat, exp (15 min)."""
    header = jwt.get_unverified_header(user.access_token)
    assert header["alg"] == "RS256"
    assert header["typ"] == "at+jwt"
    assert header["kid"] in kids()
    claims = decode_offline(user.access_token, audience=user.tenant.client_id)
    assert claims["iss"] == own_issuer(user.tenant.client_id)  # a new client's own issuer
    assert claims["aud"] == user.tenant.client_id
    assert claims["sub"] == user.user_id
    assert claims["client_id"] == user.tenant.client_id
    assert claims["email"] == user.email
    assert claims["token_type"] == "access"
    assert uuid.UUID(claims["jti"])
    assert claims["exp"] - claims["iat"] == 15 * 60
    assert abs(claims["iat"] - time.time()) < 60


def test_a_refresh_token_is_opaque_and_lives_7_days(key_file, user):
    """Refresh tokens are `rt_<id>.<secret>`, which no JWT decoder reads; their row expires in 7 days."""
    assert user.refresh_token.startswith("rt_")
    with pytest.raises(jwt.DecodeError):
        jwt.get_unverified_header(user.refresh_token)
    with pytest.raises(jwt.DecodeError):
        decode_offline(user.refresh_token, audience=user.tenant.client_id)
    row = refresh_row(user.refresh_token)
    assert abs(row.expires_at - row.created_at - timedelta(days=7)) < timedelta(seconds=1)


def test_token_lifetimes_follow_the_settings(key_file, tenant, settings):
    """AUTHSVC_ACCESS_TOKEN_MINUTES and AUTHSVC_REFRESH_TOKEN_DAYS set exp, expires_in and the row's expiry."""
    settings.AUTHSVC_ACCESS_TOKEN_MINUTES = 5
    settings.AUTHSVC_REFRESH_TOKEN_DAYS = 2
    response = call(tenant, "signup", {"email": "ada@example.com", "password": "Correct-horse-battery-9"})
    body = response.json()
    assert body["expires_in"] == 300
    access = decode_offline(body["access_token"], audience=tenant.client_id)
    assert access["exp"] - access["iat"] == 300
    row = refresh_row(body["refresh_token"])
    assert abs(row.expires_at - row.created_at - timedelta(days=2)) < timedelta(seconds=1)


def test_a_token_fails_offline_verification_for_another_audience(key_file, user, other_tenant):
    """aud is the client_id: a relying party of client B rejects client A's token (and B's own issuer does first)."""
    with pytest.raises(jwt.InvalidAudienceError):
        decode_offline(user.access_token, audience=other_tenant.client_id, issuer=own_issuer(user.tenant.client_id))
    with pytest.raises(jwt.InvalidIssuerError):
        decode_offline(user.access_token, audience=other_tenant.client_id)


def test_a_negative_keep_is_refused(key_file):
    """--keep must be zero or more."""
    with pytest.raises(CommandError):
        rotate("--keep", "-1")
    assert len(kids()) == 1


def test_a_rewritten_key_file_is_reloaded_even_with_an_unchanged_mtime(key_file):
    """Another process's rotation is seen even where the file system's clock is coarse."""
    before = keyring().current.kid
    mtime = key_file.stat().st_mtime_ns
    replacement = generate_private_key()
    write_keyring(key_file, [SigningKey.of(replacement)])
    os.utime(key_file, ns=(mtime, mtime))
    assert keyring().current.kid != before
    assert keyring().current.private_key.private_numbers() == replacement.private_numbers()


def test_the_key_file_is_written_with_mode_0600(key_file):
    """Only the service's own user may read the private keys, after a rotation too."""
    rotate()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_without_a_configured_file_a_key_is_generated_once_into_var_with_a_warning(tmp_path, settings, caplog):
    """The embedded default: var/jwt_signing_keys.pem, mode 0600, a warning, then reused."""
    settings.AUTHSVC_JWT_PRIVATE_KEY_FILE = ""
    settings.VAR_DIR = tmp_path
    with caplog.at_level(logging.WARNING, logger="authsvc.keys"):
        first = keyring().current.kid
    generated = tmp_path / "jwt_signing_keys.pem"
    assert stat.S_IMODE(generated.stat().st_mode) == 0o600
    assert "AUTHSVC_JWT_PRIVATE_KEY_FILE" in caplog.text
    assert keyring().current.kid == first


def test_a_configured_key_file_that_is_missing_is_a_clear_error(tmp_path, settings):
    """A configured but missing file is never silently replaced by a new key."""
    missing = tmp_path / "nowhere.pem"
    settings.AUTHSVC_JWT_PRIVATE_KEY_FILE = str(missing)
    with pytest.raises(FileNotFoundError, match="AUTHSVC_JWT_PRIVATE_KEY_FILE"):
        keyring()
    with pytest.raises(CommandError, match=str(missing)):
        rotate()
    assert not missing.exists()


def test_a_corrupt_key_file_is_a_clear_command_error(tmp_path, settings):
    """A file that holds no usable key makes the command fail with a message, not a traceback."""
    corrupt = tmp_path / "corrupt.pem"
    corrupt.write_bytes(b"not a key\n")
    settings.AUTHSVC_JWT_PRIVATE_KEY_FILE = str(corrupt)
    with pytest.raises(CommandError, match="corrupt.pem"):
        rotate()


def test_a_token_signed_by_an_unpublished_key_is_inactive(key_file, user):
    """A well-formed token whose kid is not in the keyring is refused."""
    claims = jwt.decode(user.access_token, options={"verify_signature": False})
    foreign = generate_private_key()
    forged = jwt.encode(claims, foreign, algorithm="RS256", headers={"kid": "someone-else"})
    assert verify(user, forged) == {"active": False}
    same_kid = jwt.encode(claims, foreign, algorithm="RS256", headers={"kid": keyring().current.kid})
    assert verify(user, same_kid) == {"active": False}
