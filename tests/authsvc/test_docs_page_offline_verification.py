"""The docs page's offline verification recipe, run as printed with PyJWT against the live server: from
the client's issuer alone (its discovery document, then the JWKS) it accepts this client's access tokens,
whichever issuer they carry, and refuses every refresh token, opaque or issued as a JWT."""

import html
import re
import runpy

import jwt
import pytest
from django.conf import settings

from tests.accounts.conftest import SignedUpUser, claims_of, old_format_refresh_token, sign_up
from tests.conftest import make_tenant

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.store_independent]


@pytest.fixture(params=["client", "service"], ids=["own-issuer", "shared-issuer"])
def tenant(request, transactional_db):
    return make_tenant("Recipe Co", token_issuer=request.param)


@pytest.fixture
def live_issuer(live_server, settings):
    """Public URL and issuer are the live server's, before any token is minted."""
    settings.AUTHSVC_PUBLIC_URL = settings.AUTHSVC_ISSUER = live_server.url


@pytest.fixture
def user(live_issuer, tenant) -> SignedUpUser:
    return sign_up(tenant)


@pytest.fixture
def verify_access_token(api, live_issuer, tmp_path, tenant):
    """The recipe copied from the client's docs page into a module of its own; it fetches the keys over HTTP."""
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
    assert claims["iss"] == (settings.AUTHSVC_ISSUER + (f"/api/v1/{user.tenant.client_id}" if tenant_has_own_issuer(user) else ""))


def test_the_recipe_refuses_an_opaque_refresh_token(verify_access_token, user):
    """A refresh token is no JWT at all: refused before any key is looked up."""
    with pytest.raises(jwt.DecodeError):
        verify_access_token(user.refresh_token)


def test_the_recipe_refuses_a_refresh_token_issued_as_a_jwt_by_its_type(verify_access_token, user):
    """An old-format refresh token is well signed, of this issuer and audience, unexpired: only `typ` refuses it."""
    same_issuer = claims_of(user.access_token)["iss"]
    with pytest.raises(jwt.InvalidTokenError, match="not an access token"):
        verify_access_token(old_format_refresh_token(user, iss=same_issuer))


def test_the_recipe_refuses_an_access_token_of_another_client(verify_access_token, live_issuer, tenant):
    """Another client's token, on the same issuer setting: refused by its audience, or first by its issuer."""
    other = make_tenant("Other Co", token_issuer=tenant.client.token_issuer)
    with pytest.raises(jwt.InvalidIssuerError if tenant.client.token_issuer == "client" else jwt.InvalidAudienceError):
        verify_access_token(sign_up(other).access_token)


def tenant_has_own_issuer(user: SignedUpUser) -> bool:
    return user.tenant.client.token_issuer == "client"
