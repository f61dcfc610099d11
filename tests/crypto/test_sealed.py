"""Sealed secrets (crypto/sealed.py): Fernet under AUTHSVC_SEALING_KEYS, the first key sealing, any opening, and a
key derived from SECRET_KEY always last, so that setting or rotating keys never loses what was sealed."""

import logging

import pytest
from cryptography.fernet import Fernet

from core.errors import ServerError
from crypto.sealed import derived_key, seal, unseal

pytestmark = pytest.mark.store_independent

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def test_a_sealed_value_opens_and_does_not_show_the_plaintext(settings):
    """Round trip; the token is Fernet's, not the secret in another spelling; two seals differ."""
    settings.AUTHSVC_SEALING_KEYS = [Fernet.generate_key().decode()]
    sealed = seal(SECRET)
    assert unseal(sealed) == SECRET
    assert SECRET not in sealed and sealed.startswith("gAAAAA")
    assert seal(SECRET) != sealed


def test_without_keys_the_key_derived_from_the_secret_key_seals(settings):
    """Unset: sealed under HKDF(SECRET_KEY), which is not SECRET_KEY itself."""
    settings.AUTHSVC_SEALING_KEYS = []
    sealed = seal(SECRET)
    assert Fernet(derived_key(settings.SECRET_KEY)).decrypt(sealed.encode()).decode() == SECRET
    assert derived_key(settings.SECRET_KEY).decode() != settings.SECRET_KEY


def test_values_sealed_before_keys_were_set_stay_readable(settings):
    """Sealed under the derived key, then the operator sets a dedicated key: still opens; new seals use the new key."""
    settings.AUTHSVC_SEALING_KEYS = []
    old = seal(SECRET)
    new_key = Fernet.generate_key().decode()
    settings.AUTHSVC_SEALING_KEYS = [new_key]
    assert unseal(old) == SECRET
    assert Fernet(new_key).decrypt(seal(SECRET).encode()).decode() == SECRET


def test_rotation_keeps_the_old_key_readable_until_it_is_dropped(settings, caplog):
    """[new, old] opens what old sealed; [new] alone no longer does: a logged 500 without the value."""
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.AUTHSVC_SEALING_KEYS = [old_key]
    sealed = seal(SECRET)
    settings.AUTHSVC_SEALING_KEYS = [new_key, old_key]
    assert unseal(sealed) == SECRET
    settings.AUTHSVC_SEALING_KEYS = [new_key]
    with caplog.at_level(logging.ERROR), pytest.raises(ServerError):
        unseal(sealed)
    assert "AUTHSVC_SEALING_KEYS" in caplog.text and sealed not in caplog.text and SECRET not in caplog.text


@pytest.mark.parametrize("token", ["", "not-a-token", "gAAAAA" + "x" * 40, "ümlaut"])
def test_garbage_is_a_server_error_not_a_crash(settings, token):
    """Whatever is stored, unseal answers the plaintext or ServerError, never another exception."""
    settings.AUTHSVC_SEALING_KEYS = []
    with pytest.raises(ServerError):
        unseal(token)
