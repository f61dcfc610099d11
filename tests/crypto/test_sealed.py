"""Secrets at rest: sealed under the first of AUTHSVC_SEALING_KEYS, unsealed under any, resealed for a
rotation; a value no listed key opens, and a service with no key, fail with our own errors."""

import pytest
from cryptography.fernet import Fernet

from crypto.errors import SealedSecretUnreadable, SealingError, SealingUnavailable
from crypto.sealed import reseal, seal, unseal
from crypto.sealing_keys import key_from_secret, keys_problem

pytestmark = pytest.mark.store_independent

SECRET = "smtp+tls://mailer:Sm7p-pa55@smtp.example.com:587"


@pytest.fixture
def keys(settings):
    """Two keys, and a way to say which the service lists, first one sealing."""
    key1, key2 = Fernet.generate_key().decode(), Fernet.generate_key().decode()

    def use(*listed: str) -> None:
        settings.AUTHSVC_SEALING_KEYS = list(listed)

    return key1, key2, use


def test_a_sealed_value_reads_back_and_shows_nothing_of_itself(keys):
    """seal gives an ASCII token holding no part of the text, different each time; unseal gives the text back."""
    key1, _, use = keys
    use(key1)

    first, second = seal(SECRET), seal(SECRET)

    assert first != second and first.isascii()
    assert "Sm7p-pa55" not in first and "smtp.example.com" not in first
    assert unseal(first) == unseal(second) == SECRET


def test_rotation_reseals_under_the_new_key_and_the_old_key_can_then_go(keys):
    """Sealed with key1; with "key2,key1" it still opens, reseal moves it to key2, then key2 alone opens it and key1 alone does not."""
    key1, key2, use = keys
    use(key1)
    token = seal(SECRET)

    use(key2, key1)
    assert unseal(token) == SECRET
    resealed = reseal(token)
    assert resealed != token

    use(key2)
    assert unseal(resealed) == SECRET
    use(key1)
    with pytest.raises(SealedSecretUnreadable):
        unseal(resealed)


@pytest.mark.parametrize(
    "token",
    ["made-under-another-key", "not a token", "gAAAAA", "", "jeton-\u00e9"],
    ids=["other-key", "garbage", "truncated", "empty", "not-ascii"],
)
def test_a_value_no_listed_key_opens_is_a_clear_error(keys, token):
    """Another key's token or garbage: SealedSecretUnreadable (server_error, 500), naming the setting and no key."""
    key1, key2, use = keys
    if token == "made-under-another-key":
        use(key2)
        token = seal(SECRET)
    use(key1)

    with pytest.raises(SealedSecretUnreadable) as raised:
        unseal(token)
    with pytest.raises(SealedSecretUnreadable):
        reseal(token)

    error = raised.value
    assert (error.code, error.status_code, error.reason) == ("server_error", 500, "unknown_sealing_key")
    assert "AUTHSVC_SEALING_KEYS" in error.detail and key1 not in error.detail
    assert isinstance(error, SealingError)


@pytest.mark.parametrize("operation", [seal, unseal, reseal], ids=["seal", "unseal", "reseal"])
def test_without_any_key_sealing_is_unavailable_and_says_what_to_set(settings, operation):
    """DEBUG off and no AUTHSVC_SEALING_KEYS: 503 service_unavailable telling the operator to set it."""
    settings.AUTHSVC_SEALING_KEYS = []

    with pytest.raises(SealingUnavailable) as raised:
        operation(SECRET)

    assert (raised.value.code, raised.value.status_code) == ("service_unavailable", 503)
    assert "AUTHSVC_SEALING_KEYS" in raised.value.detail


def test_the_development_key_is_a_fernet_key_derived_from_the_secret_key():
    """Derived with HKDF: the same secret gives the same valid key, another secret another key."""
    secret = "s" * 50

    assert key_from_secret(secret) == key_from_secret(secret) != key_from_secret(secret + "x")
    assert keys_problem([key_from_secret(secret)]) is None


def test_a_malformed_key_is_named_by_its_position_never_shown():
    """keys_problem names which key of the list is wrong and how to make one, without the key."""
    problem = keys_problem([Fernet.generate_key().decode(), "not-a-fernet-key"])

    assert problem.startswith("key 2 of 2 is not a Fernet key")
    assert "not-a-fernet-key" not in problem and "Fernet.generate_key()" in problem
