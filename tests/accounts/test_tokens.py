"""accounts.tokens: each token class signs and verifies through its own client's backend,
by SimpleJWT's current hook (`Token.token_backend`)."""

import uuid

import jwt
import pytest
from rest_framework_simplejwt.exceptions import TokenError

from accounts.signing_keys import keyring
from accounts.tokens import ACCESS_TOKEN_TYP, ClientAccessToken, LegacyRefreshToken

pytestmark = pytest.mark.store_independent  # keys and tokens only, no database

TOKEN_CLASSES = [ClientAccessToken, LegacyRefreshToken]



@pytest.mark.parametrize("token_class", TOKEN_CLASSES, ids=lambda cls: cls.__name__)
def test_simplejwts_backend_hook_answers_the_tokens_own_client(key_file, token_class):
    """`token_backend` (and the older get_token_backend, which reads it) is the client's keyring backend."""
    client_id = uuid.uuid4()
    token = token_class(client_id=client_id)
    assert token.token_backend.audience == str(client_id)
    assert token.token_backend.ring.current.kid == keyring().current.kid
    assert token.get_token_backend() is token.token_backend


def test_a_minted_access_token_reads_back_only_for_its_client(key_file):
    """Minting and reading both go through the hook: `kid`, `typ` and `aud` are the client's."""
    client_id = uuid.uuid4()
    text = str(ClientAccessToken(client_id=client_id))
    header = jwt.get_unverified_header(text)
    assert (header["kid"], header["typ"]) == (keyring().current.kid, ACCESS_TOKEN_TYP)
    assert ClientAccessToken(text, client_id=client_id)["aud"] == str(client_id)
    with pytest.raises(TokenError, match="invalid"):
        ClientAccessToken(text, client_id=uuid.uuid4())
