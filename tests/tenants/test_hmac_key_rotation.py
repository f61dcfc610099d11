"""Rotating AUTHSVC_HMAC_KEY and DJANGO_SECRET_KEY with fallbacks keeps issued secrets working."""

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.test import override_settings

from tenants.key_cache import access_key_cache
from tenants.services import access_key_rotate
from tests.accounts.conftest import call, sign_up
from tests.conftest import Tenant, make_tenant

pytestmark = pytest.mark.django_db(transaction=True)

KEY_A = "hmac-key-a-" + "a" * 40
KEY_B = "hmac-key-b-" + "b" * 40
NEW_SECRET_KEY = "django-secret-key-2-" + "s" * 40
TOKEN = re.compile(r"https?://[^\s\"<>]+/links/[0-9a-f-]{36}/reset-password\?token=[^\s\"<>]+")


@dataclass
class Issued:
    """What a client and its users hold: an access key, a refresh token and a mailed reset token."""

    tenant: Tenant
    refresh_tokens: list[str]
    reset_tokens: list[str]


def issue(mailoutbox, users: int = 1) -> Issued:
    tenant = make_tenant("Rotating Co")
    refresh_tokens, reset_tokens = [], []
    for number in range(users):
        user = sign_up(tenant, email=f"user{number}@example.com")
        refresh_tokens.append(user.refresh_token)
        assert call(tenant, "password/forgot", {"email": user.email}).status_code == 202
        link = TOKEN.search(mailoutbox[-1].body).group(0)
        reset_tokens.append(parse_qs(urlsplit(link).query)["token"][0])
    return Issued(tenant, refresh_tokens, reset_tokens)


def outcomes(issued: Issued, user: int = 0) -> tuple[int, int, int]:
    """Status codes of: an API call with the issued access key; then, with a key issued now (so that
    a refused old key hides nothing), a refresh and a password reset with the mailed token."""
    access_key_cache.clear()
    old_key = call(issued.tenant, "", method="GET").status_code
    tenant = Tenant(issued.tenant.client, access_key_rotate(client=issued.tenant.client))
    return (
        old_key,
        call(tenant, "token/refresh", {"refresh_token": issued.refresh_tokens[user]}).status_code,
        call(tenant, "password/reset", {"token": issued.reset_tokens[user], "new_password": "Another-long-pass-42"}).status_code,
    )


ALL_WORK = (200, 200, 200)
ALL_REFUSED = (401, 401, 400)


def test_a_new_hmac_key_accepts_old_secrets_until_the_old_key_leaves_the_fallbacks(mailoutbox):
    """Issued under key A: with B current and A a fallback all work; with A dropped they answer 401 / 400."""
    with override_settings(AUTHSVC_HMAC_KEY=KEY_A):
        issued = issue(mailoutbox, users=2)

    with override_settings(AUTHSVC_HMAC_KEY=KEY_B, AUTHSVC_HMAC_KEY_FALLBACKS=[KEY_A]):
        assert outcomes(issued, user=0) == ALL_WORK

    with override_settings(AUTHSVC_HMAC_KEY=KEY_B, AUTHSVC_HMAC_KEY_FALLBACKS=[]):
        assert outcomes(issued, user=1) == ALL_REFUSED


SECRET_KEY_ROTATIONS = {
    "dedicated-hmac-key-unchanged": ({"AUTHSVC_HMAC_KEY": KEY_A}, {"AUTHSVC_HMAC_KEY": KEY_A}),
    "moving-to-a-dedicated-hmac-key": ({"AUTHSVC_HMAC_KEY": ""}, {"AUTHSVC_HMAC_KEY": KEY_B}),
}


@pytest.mark.parametrize(("before", "after"), SECRET_KEY_ROTATIONS.values(), ids=SECRET_KEY_ROTATIONS.keys())
def test_rotating_django_secret_key_with_the_old_one_as_fallback_keeps_everything_working(mailoutbox, before, after):
    """A new DJANGO_SECRET_KEY, the old one in DJANGO_SECRET_KEY_FALLBACKS: key, refresh and mailed token all work."""
    old_secret_key = settings.SECRET_KEY
    with override_settings(**before):
        issued = issue(mailoutbox)

    with override_settings(SECRET_KEY=NEW_SECRET_KEY, SECRET_KEY_FALLBACKS=[old_secret_key], **after):
        assert outcomes(issued) == ALL_WORK


def test_dropping_the_old_django_secret_key_voids_mailed_links_but_not_keys_under_a_dedicated_hmac_key(mailoutbox):
    """With AUTHSVC_HMAC_KEY set, only Django's signing depends on DJANGO_SECRET_KEY: the mailed token is refused."""
    with override_settings(AUTHSVC_HMAC_KEY=KEY_A):
        issued = issue(mailoutbox)

    with override_settings(AUTHSVC_HMAC_KEY=KEY_A, SECRET_KEY=NEW_SECRET_KEY, SECRET_KEY_FALLBACKS=[]):
        assert outcomes(issued) == (200, 200, 400)
