"""Imported password hashes (accounts/imported_hashes.py): each format verifies at login through
Django's hashers and is replaced by ours then; malformed or too costly hashes are refused."""

import pytest
from django.contrib.auth.hashers import check_password

from accounts.imported_hashes import HashRefused, stored_hash
from tests.accounts.conftest import PASSWORD, call, foreign_hashes, import_users, ndjson
from tests.conftest import make_tenant

pytestmark = pytest.mark.django_db(transaction=True)

BCRYPT = "$2b$04$" + "a" * 53
STORED_FORMS = [
    ("bcrypt $2a$", "bcrypt$$2a$"),
    ("bcrypt $2b$", "bcrypt$$2b$"),
    ("bcrypt $2y$", "bcrypt$$2b$"),  # PHP's name for $2b$
    ("argon2id", "argon2$argon2id$"),
    ("django pbkdf2_sha256", "pbkdf2_sha256$1000$"),
    ("django argon2", "argon2$argon2id$"),
    ("django scrypt", "scrypt$16$"),
    ("django bcrypt_sha256", "bcrypt_sha256$$2b$04$"),
]


def row_of(tenant, email):
    return type_of(tenant).objects.get(email=email)


def type_of(tenant):
    from tenants.user_models import user_model_for

    return user_model_for(tenant.client)


def test_every_format_logs_in_with_the_original_password_and_is_upgraded_then(tenant):
    """One import of every format: each user logs in with the password it had, and its row then holds ours."""
    hashes = foreign_hashes(PASSWORD)
    emails = {name: f"user{number}@example.com" for number, name in enumerate(hashes)}
    report = import_users(tenant, ndjson(*({"email": emails[name], "password_hash": hashes[name]} for name in hashes)))
    assert report.status_code == 200, report.content
    assert report.json()["created"] == len(hashes)
    for name, stored_prefix in STORED_FORMS:
        assert row_of(tenant, emails[name]).password_hash.startswith(stored_prefix), name
        login = call(tenant, "login", {"email": emails[name], "password": PASSWORD})
        assert login.status_code == 200, (name, login.content)
        upgraded = row_of(tenant, emails[name]).password_hash
        assert upgraded.startswith("bcrypt_sha256$$2b$04$") and check_password(PASSWORD, upgraded), name


@pytest.mark.store_independent
@pytest.mark.parametrize("name", [name for name, _ in STORED_FORMS])
def test_a_wrong_password_against_an_imported_hash_is_refused_and_leaves_the_hash(name):
    """401 invalid_credentials, the same answer as for an unknown email, and the imported hash stays."""
    tenant = make_tenant()
    imported = foreign_hashes(PASSWORD)[name]
    import_users(tenant, ndjson({"email": "ada@example.com", "password_hash": imported}))
    before = row_of(tenant, "ada@example.com").password_hash
    wrong = call(tenant, "login", {"email": "ada@example.com", "password": "Not-the-password-1"})
    unknown = call(tenant, "login", {"email": "nobody@example.com", "password": "Not-the-password-1"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert row_of(tenant, "ada@example.com").password_hash == before


@pytest.mark.store_independent
def test_a_bcrypt_import_takes_a_password_longer_than_72_bytes_as_the_source_did():
    """bcrypt read only the first 72 bytes where the hash was made; so does the login here."""
    import bcrypt

    long_password = "correct horse battery staple " * 4  # 116 bytes
    source_hash = bcrypt.hashpw(long_password.encode()[:72], bcrypt.gensalt(4)).decode()
    tenant = make_tenant()
    import_users(tenant, ndjson({"email": "ada@example.com", "password_hash": source_hash}))
    assert call(tenant, "login", {"email": "ada@example.com", "password": long_password}).status_code == 200


@pytest.mark.store_independent
@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "non-empty"),
        ("md5$salt$0123456789abcdef", "Unknown hash format"),
        ("{SSHA}abcdef", "Unknown hash format"),
        ("$2x$04$" + "a" * 53, "Malformed bcrypt"),
        (BCRYPT[:-1], "Malformed bcrypt"),
        ("$2b$31$" + "a" * 53, "cost 31"),
        ("$argon2id$v=19$m=8,t=1,p=1$!!!!$aGFzaA", "Malformed Argon2"),
        ("$argon2d$v=19$m=8,t=1,p=1$c29tZXNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA", "Malformed Argon2"),
        ("$argon2id$v=19$m=4194304,t=1,p=1$c29tZXNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA", "Argon2 cost"),
        ("pbkdf2_sha256$0$salt$" + "A" * 43 + "=", "Malformed pbkdf2_sha256"),
        ("pbkdf2_sha256$99999999$salt$" + "A" * 43 + "=", "iterations above"),
        ("pbkdf2_sha256$1000$$" + "A" * 43 + "=", "Malformed pbkdf2_sha256"),
        ("scrypt$3$salt$8$1$" + "A" * 86 + "==", "scrypt parameters"),
        ("scrypt$1048576$salt$8$1$" + "A" * 86 + "==", "scrypt parameters"),
        ("!unusable-django-password", "Unknown hash format"),
        ("$2b$04$" + "é" * 53, "not a password hash"),
    ],
)
def test_malformed_or_too_costly_hashes_are_refused_with_a_reason(text, why):
    """Never stored: each would fail, crash or cost minutes at login."""
    with pytest.raises(HashRefused) as refused:
        stored_hash(text)
    assert why in refused.value.reason
