"""The `iss` of a client's access tokens follows its `token_issuer`, and a switch breaks no token minted before it:
`token/verify` and refresh accept either of the client's two issuers until the token's `exp`."""

import pytest
from django.conf import settings

from tenants.services import client_settings_update
from tests.accounts.conftest import call, claims_of, sign_claims, sign_up
from tests.conftest import make_tenant

pytestmark = pytest.mark.django_db(transaction=True)


def issuers(tenant) -> dict[str, str]:
    return {"client": f"{settings.AUTHSVC_ISSUER}/api/v1/{tenant.client_id}", "service": settings.AUTHSVC_ISSUER}


@pytest.mark.parametrize(("before", "after"), [("service", "client"), ("client", "service")])
def test_a_switch_of_issuer_changes_new_tokens_and_keeps_earlier_ones_valid(before, after):
    """Minted before: still active and still refreshes. Minted after (the refresh's own): the new `iss`."""
    tenant = make_tenant("Switching Co", token_issuer=before)
    user = sign_up(tenant)
    assert claims_of(user.access_token)["iss"] == issuers(tenant)[before]

    client_settings_update(client=tenant.client, changes={"token_issuer": after})

    assert call(tenant, "token/verify", {"token": user.access_token}).json()["iss"] == issuers(tenant)[before]
    refreshed = call(tenant, "token/refresh", {"refresh_token": user.refresh_token})
    assert refreshed.status_code == 200
    new_access = refreshed.json()["access_token"]
    assert claims_of(new_access)["iss"] == issuers(tenant)[after]
    assert call(tenant, "token/verify", {"token": new_access}).json()["active"] is True
    discovery = call(tenant, ".well-known/openid-configuration", method="GET")
    assert discovery.status_code == (200 if after == "client" else 404)


@pytest.mark.store_independent
def test_another_clients_own_issuer_is_not_one_of_this_clients(user, other_tenant):
    """A token signed for this client but naming another client's issuer is inactive: only this client's two count."""
    foreign_issuer = issuers(other_tenant)["client"]
    token = sign_claims(user.tenant, user.user_id, token_type="access", exp_offset=600, iss=foreign_issuer)
    assert call(user.tenant, "token/verify", {"token": token}).json() == {"active": False}
