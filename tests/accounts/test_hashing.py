"""Password storage: bcrypt through Django's BCryptSHA256 hasher, rounds from AUTHSVC_BCRYPT_ROUNDS."""

import pytest
from django.contrib.auth.hashers import identify_hasher

from tests.accounts.conftest import call, sign_up

pytestmark = pytest.mark.django_db(transaction=True)


def work_factor(encoded: str) -> int:
    return identify_hasher(encoded).decode(encoded)["work_factor"]


@pytest.mark.parametrize("rounds", [4, 5])
def test_the_stored_hash_is_bcrypt_sha256_with_the_configured_rounds(tenant, settings, rounds):
    """The password is stored as `bcrypt_sha256$...` at AUTHSVC_BCRYPT_ROUNDS, never in clear."""
    settings.AUTHSVC_BCRYPT_ROUNDS = rounds
    user = sign_up(tenant)
    stored = user.row().password_hash
    assert stored.startswith(f"bcrypt_sha256$$2b${rounds:02d}$")
    assert work_factor(stored) == rounds
    assert user.password not in stored


def test_login_rehashes_the_password_when_the_rounds_changed(tenant, settings):
    """Raising the rounds upgrades each hash at its user's next successful login."""
    settings.AUTHSVC_BCRYPT_ROUNDS = 4
    user = sign_up(tenant)
    settings.AUTHSVC_BCRYPT_ROUNDS = 5
    assert call(tenant, "login", {"email": user.email, "password": user.password}).status_code == 200
    upgraded = user.row().password_hash
    assert work_factor(upgraded) == 5
    assert call(tenant, "login", {"email": user.email, "password": user.password}).status_code == 200


def test_a_failed_login_leaves_the_hash_alone(tenant, settings):
    """Only the right password may trigger the rehash."""
    settings.AUTHSVC_BCRYPT_ROUNDS = 4
    user = sign_up(tenant)
    before = user.row().password_hash
    settings.AUTHSVC_BCRYPT_ROUNDS = 5
    assert call(tenant, "login", {"email": user.email, "password": "Not-the-password-1"}).status_code == 401
    assert user.row().password_hash == before
