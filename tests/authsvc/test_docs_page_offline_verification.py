"""The docs page's offline verification recipe, run as printed with PyJWT against the live JWKS: it
accepts this client's access tokens and refuses every refresh token, opaque or issued as a JWT."""

import html
import re
import runpy

import jwt
import pytest

from tests.accounts.conftest import SignedUpUser, old_format_refresh_token, sign_up

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.store_independent]


@pytest.fixture
def user(tenant) -> SignedUpUser:
    return sign_up(tenant)


@pytest.fixture
def verify_access_token(api, live_server, settings, tmp_path, tenant):
    """The recipe copied from the client's docs page into a module of its own; it fetches the keys over HTTP."""
    settings.AUTHSVC_PUBLIC_URL = live_server.url
    page = api.get(f"/docs/clients/{tenant.client_id}/").content.decode()
    match = re.search(r'<pre id="verify-offline">(.*?)</pre>', page, re.DOTALL)
    assert match, "the page shows no offline verification recipe"
    module = tmp_path / "recipe.py"
    module.write_text(html.unescape(match[1]))
    return runpy.run_path(str(module))["verify_access_token"]


def test_the_recipe_accepts_an_access_token_of_this_client(verify_access_token, user):
    """A live access token passes every step and gives its claims."""
    claims = verify_access_token(user.access_token)
    assert claims["sub"] == user.user_id
    assert claims["aud"] == user.tenant.client_id


def test_the_recipe_refuses_an_opaque_refresh_token(verify_access_token, user):
    """A refresh token is no JWT at all: refused before any key is looked up."""
    with pytest.raises(jwt.DecodeError):
        verify_access_token(user.refresh_token)


def test_the_recipe_refuses_a_refresh_token_issued_as_a_jwt_by_its_type(verify_access_token, user):
    """An old-format refresh token is well signed, of this issuer and audience, unexpired: only `typ` refuses it."""
    with pytest.raises(jwt.InvalidTokenError, match="not an access token"):
        verify_access_token(old_format_refresh_token(user))


def test_the_recipe_refuses_an_access_token_of_another_client(verify_access_token, other_tenant):
    """The audience is this client's id."""
    with pytest.raises(jwt.InvalidAudienceError):
        verify_access_token(sign_up(other_tenant).access_token)
