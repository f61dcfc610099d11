"""POST /api/v1/<client_id>/token/revoke (RFC 7009): ends the login of a token of this client, and
answers 200 whatever the token, so the caller learns nothing of one it does not hold."""

import json
from collections.abc import Callable
from urllib.parse import urlencode

import pytest
from rest_framework.test import APIClient

from accounts.models import RefreshToken
from tests.accounts.conftest import SignedUpUser, call, log_in, old_format_refresh_token, sign_claims, sign_up, token_rows

pytestmark = pytest.mark.django_db(transaction=True)

INACTIVE = {"active": False}


def revoke(tenant, token: str, *, encoding: str = "json", **body):
    """One revocation, as JSON or form-encoded (as RFC 7009 sends it)."""
    fields = {"token": token, **body}
    payload, content_type = (
        (json.dumps(fields), "application/json") if encoding == "json" else (urlencode(fields), "application/x-www-form-urlencoded")
    )
    return APIClient().generic("POST", tenant.url("token/revoke"), payload, content_type=content_type, **tenant.auth)


def refresh(user: SignedUpUser):
    return call(user.tenant, "token/refresh", {"refresh_token": user.refresh_token})


def verify(user: SignedUpUser, token: str | None = None):
    return call(user.tenant, "token/verify", {"token": token or user.access_token}).json()


def every_row() -> list[tuple]:
    """Every `tokens` row of every client, as a revocation could change it."""
    return list(RefreshToken.objects.order_by("token_id").values_list("token_id", "revoked_at", "replaced_by"))


def assert_login_ended(user: SignedUpUser) -> None:
    """What the client sees of an ended login: its refresh token refused, its access token inactive."""
    refused = refresh(user)
    assert (refused.status_code, refused.json()["error"]) == (401, "invalid_token")
    assert verify(user) == INACTIVE


@pytest.mark.parametrize("which", ["refresh_token", "access_token"])
def test_revoking_a_token_ends_its_login(user, which):
    """A refresh or an access token: 200 with no body, then its refresh token is refused and its access token inactive."""
    response = revoke(user.tenant, getattr(user, which))
    assert (response.status_code, response.content) == (200, b"")
    assert_login_ended(user)


@pytest.mark.store_independent
@pytest.mark.parametrize("encoding", ["json", "form"])
@pytest.mark.parametrize("hint", ["refresh_token", "access_token"])
@pytest.mark.parametrize("which", ["refresh_token", "access_token"])
def test_neither_the_hint_nor_the_encoding_changes_what_is_revoked(user, which, hint, encoding):
    """Any hint (even the wrong one), JSON or form-encoded as RFC 7009 sends it: the login is over all the same."""
    response = revoke(user.tenant, getattr(user, which), encoding=encoding, token_type_hint=hint)
    assert (response.status_code, response.content) == (200, b"")
    assert_login_ended(user)


@pytest.mark.parametrize("which", ["refresh_token", "access_token"])
def test_revoking_one_login_leaves_the_users_other_logins(user, which):
    """Only the presented token's family is revoked: another session of the same user still refreshes and verifies."""
    other = log_in(user)
    assert revoke(user.tenant, getattr(user, which)).status_code == 200
    assert verify(other)["active"] is True
    assert refresh(other).status_code == 200


def test_revoking_a_spent_refresh_token_ends_the_login_it_was_rotated_into(user):
    """The family goes, not only the token presented: the newest refresh token and its access token too."""
    newest = refresh(user).json()
    assert revoke(user.tenant, user.refresh_token).status_code == 200
    assert call(user.tenant, "token/refresh", {"refresh_token": newest["refresh_token"]}).status_code == 401
    assert verify(user, newest["access_token"]) == INACTIVE


def test_revoking_twice_answers_200_both_times_and_changes_nothing_the_second_time(user, published):
    """Idempotent: the second revocation finds the family already revoked; rows stay as the first left them."""
    assert revoke(user.tenant, user.refresh_token).status_code == 200
    after_first = every_row()
    published.clear()
    assert revoke(user.tenant, user.refresh_token).status_code == 200
    assert every_row() == after_first
    assert [(event.name, event.revoked) for event in published] == [("token.revoked", 0)]


def test_a_refresh_token_issued_as_a_jwt_by_an_earlier_release_is_revoked_too(user):
    """An old-format refresh token still names its row: revoking it revokes its family."""
    token = old_format_refresh_token(user)
    assert revoke(user.tenant, token, token_type_hint="refresh_token").status_code == 200
    assert call(user.tenant, "token/refresh", {"refresh_token": token}).status_code == 401


def other_clients_refresh_token(user, other) -> str:
    return other.refresh_token


def other_clients_access_token(user, other) -> str:
    return other.access_token


def expired_access_token(user, other) -> str:
    return sign_claims(user.tenant, user.user_id, token_type="access", exp_offset=-60, sid=str(token_rows(user.tenant)[0].family_id))


def expired_refresh_token(user, other) -> str:
    return old_format_refresh_token(user, exp_offset=-60)


def unknown_refresh_token(user, other) -> str:
    return "rt_" + "0" * 32 + "." + "A" * 43


def forged_refresh_token(user, other) -> str:
    token_id, _, secret = user.refresh_token.partition(".")
    return f"{token_id}.{secret[::-1]}"


NOTHING_OF_THIS_CLIENT: dict[str, Callable[[SignedUpUser, SignedUpUser], str]] = {
    "garbage": lambda user, other: "garbage",
    "garbage-parts": lambda user, other: "a.b.c",
    "unknown-refresh-token": unknown_refresh_token,
    "forged-refresh-token": forged_refresh_token,
    "expired-access-token": expired_access_token,
    "expired-jwt-refresh-token": expired_refresh_token,
    "other-clients-refresh-token": other_clients_refresh_token,
    "other-clients-access-token": other_clients_access_token,
}


@pytest.mark.parametrize("make_token", NOTHING_OF_THIS_CLIENT.values(), ids=NOTHING_OF_THIS_CLIENT.keys())
def test_a_token_that_is_nothing_of_this_client_is_answered_200_and_nothing_happens(user, other_tenant, published, make_token):
    """Garbage, unknown, forged, expired or another client's: 200 with no body, no row of any client changed, a failed revocation published."""
    other = sign_up(other_tenant, "bob@example.com")
    token = make_token(user, other)
    before = every_row()
    published.clear()

    response = revoke(user.tenant, token)

    assert (response.status_code, response.content) == (200, b"")
    assert every_row() == before
    assert [(event.name, event.reason, event.client_id) for event in published] == [
        ("token.revoke_failed", "invalid_token", user.tenant.client.client_id)
    ]
    assert verify(user)["active"] is True and verify(other)["active"] is True


@pytest.mark.store_independent
@pytest.mark.parametrize(
    ("content_type", "body", "field"),
    [
        ("application/json", {}, "token"),
        ("application/json", {"token": ""}, "token"),
        ("application/json", {"token": 12}, "token"),
        ("application/json", {"token": "x" * 9000}, "token"),
        ("application/json", {"token": "x", "token_type_hint": "id_token"}, "token_type_hint"),
        ("application/x-www-form-urlencoded", {"token": ""}, "token"),
        ("application/x-www-form-urlencoded", {"token_type_hint": "refresh_token"}, "token"),
    ],
    ids=["missing", "empty", "number", "too-long", "unknown-hint", "empty-form", "missing-form"],
)
def test_a_missing_or_ill_typed_token_is_a_400_naming_it(user, content_type, body, field):
    """RFC 7009's `token` is required (an empty one is an omitted one, RFC 6749 §3.1); an unregistered hint is refused."""
    payload = json.dumps(body) if content_type == "application/json" else urlencode(body)
    response = APIClient().generic("POST", user.tenant.url("token/revoke"), payload, content_type=content_type, **user.tenant.auth)
    assert response.status_code == 400
    assert field in response.json()["fields"]


@pytest.mark.store_independent
def test_a_form_parameter_sent_twice_is_refused_and_nothing_is_revoked(user):
    """Two `token`s are a 400, not a guess at which one counts; the login stays."""
    body = urlencode([("token", "garbage"), ("token", user.refresh_token)])
    response = APIClient().generic(
        "POST", user.tenant.url("token/revoke"), body, content_type="application/x-www-form-urlencoded", **user.tenant.auth
    )
    assert (response.status_code, response.json()["error"]) == (400, "invalid_request")
    assert "token" in response.json()["fields"]
    assert user.refresh_token not in response.content.decode()
    assert refresh(user).status_code == 200


def test_an_access_token_from_before_sessions_is_found_but_revokes_nothing(user, published):
    """No `sid`, no login to end: 200, a revocation of nothing (`revoked` 0), the user's login untouched."""
    without_sid = sign_claims(user.tenant, user.user_id, token_type="access", exp_offset=600, email=user.email)
    published.clear()
    assert revoke(user.tenant, without_sid).status_code == 200
    assert [(event.name, event.token_type, event.family_id, event.revoked) for event in published] == [
        ("token.revoked", "access_token", None, 0)
    ]
    assert refresh(user).status_code == 200
