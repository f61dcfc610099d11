"""POST token/refresh with a client's refresh reuse interval: a spent token presented again within it
answers the same successor (idempotent, so tabs may refresh at once); after it, or once anything
happened to the session, it is reuse as in strict rotation. Also: a logout racing a refresh is not
reported as reuse."""

import secrets
import uuid
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.flows.minting import refresh_token_hash, successor_recomputed, successor_refresh_token
from accounts.models import RefreshToken
from accounts.tokens import OPAQUE_REFRESH_TOKEN
from audit.models import AuditLog
from tests.accounts.conftest import PASSWORD, REUSE_INTERVAL, call, claims_of, log_in, refresh_token_id, token_rows
from tests.concurrency import at_once, each_at_once, until_answered
from tests.production import production_server_running

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 8


def refresh(tenant, token: str, api: APIClient | None = None):
    return call(tenant, "token/refresh", {"refresh_token": token}, api=api)


def assert_refused(response, code: str) -> None:
    assert response.status_code == 401, response.content
    assert response.json()["error"] == code


def spent_seconds_ago(token: str, seconds: int) -> None:
    """Move the spend of `token` back in time: the next presentation comes `seconds` after it."""
    RefreshToken.objects.filter(pk=refresh_token_id(token)).update(spent_at=timezone.now() - timedelta(seconds=seconds))


def reuse_records() -> int:
    return AuditLog.objects.filter(action="token_reuse").count()


def test_a_spent_token_presented_again_within_the_interval_answers_the_same_refresh_token(tabs_user):
    """Twice more: 200, the same refresh token and user, a live access token of the same session; nothing revoked."""
    tenant = tabs_user.tenant
    first = refresh(tenant, tabs_user.refresh_token)
    assert first.status_code == 200
    again = [refresh(tenant, tabs_user.refresh_token) for _ in range(2)]

    for response in again:
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["refresh_token"] == first.json()["refresh_token"]
        assert body["user_id"] == tabs_user.user_id
        claims = claims_of(body["access_token"])
        assert (claims["sub"], claims["sid"]) == (tabs_user.user_id, claims_of(first.json()["access_token"])["sid"])
        assert call(tenant, "token/verify", {"token": body["access_token"]}).json()["active"] is True
    rows = token_rows(tenant)
    assert len(rows) == 2 and all(row.revoked_at is None for row in rows)
    refreshes = AuditLog.objects.filter(action="token_refresh", status="success").order_by("timestamp")
    assert [record.metadata.get("replayed") for record in refreshes] == [None, True, True]
    assert reuse_records() == 0


def test_the_successor_answered_again_is_one_token_that_refreshes_once(tabs_user):
    """Replays open no branch: the successor spends once, and the spent token is then reuse at once."""
    tenant = tabs_user.tenant
    successor = refresh(tenant, tabs_user.refresh_token).json()["refresh_token"]
    assert refresh(tenant, tabs_user.refresh_token).json()["refresh_token"] == successor

    third = refresh(tenant, successor)
    assert third.status_code == 200
    assert_refused(refresh(tenant, tabs_user.refresh_token), "token_reused")
    assert_refused(refresh(tenant, third.json()["refresh_token"]), "invalid_token")
    assert all(row.revoked_at is not None for row in token_rows(tenant))


@pytest.mark.parametrize(("seconds_ago", "status"), [(REUSE_INTERVAL - 5, 200), (REUSE_INTERVAL + 1, 401)], ids=["within", "after"])
def test_the_interval_counts_from_the_spend(tabs_user, seconds_ago, status):
    """A replay just within the interval gets the successor; one after it revokes the family as reuse, audited."""
    tenant = tabs_user.tenant
    successor = refresh(tenant, tabs_user.refresh_token).json()["refresh_token"]
    spent_seconds_ago(tabs_user.refresh_token, seconds_ago)

    response = refresh(tenant, tabs_user.refresh_token)
    assert response.status_code == status, response.content
    if status == 200:
        assert response.json()["refresh_token"] == successor
        assert reuse_records() == 0
    else:
        assert response.json()["error"] == "token_reused"
        assert all(row.revoked_at is not None for row in token_rows(tenant))
        assert_refused(refresh(tenant, successor), "invalid_token")
        assert reuse_records() == 1


def test_an_interval_set_by_patch_applies_to_the_next_refresh(user):
    """A strict client PATCHes an interval: a spent token presented again at once answers its successor."""
    assert call(user.tenant, "", {"refresh_reuse_interval": REUSE_INTERVAL}, method="PATCH").status_code == 200
    successor = refresh(user.tenant, user.refresh_token).json()["refresh_token"]

    again = refresh(user.tenant, user.refresh_token)
    assert again.status_code == 200, again.content
    assert again.json()["refresh_token"] == successor


def _deactivate(user, successor: str) -> None:
    type(user.row()).objects.filter(pk=user.user_id).update(is_active=False)  # around the service that revokes


def _revoke_successor(user, successor: str) -> None:
    RefreshToken.objects.filter(pk=refresh_token_id(successor)).update(revoked_at=timezone.now())


def _replace_successor_secret(user, successor: str) -> None:
    """As a successor minted before secrets were derived: its HMAC is of another secret."""
    other = f"{successor.partition('.')[0]}.{secrets.token_urlsafe(32)}"
    RefreshToken.objects.filter(pk=refresh_token_id(successor)).update(token_hash=refresh_token_hash(other))


@pytest.mark.parametrize(
    "happened",
    [
        lambda user, successor: call(user.tenant, "logout", {"refresh_token": successor}),
        _revoke_successor,
        _deactivate,
        _replace_successor_secret,
    ],
    ids=["logged-out", "successor-revoked", "user-deactivated", "successor-not-derived-from-it"],
)
def test_within_the_interval_a_replay_after_the_session_changed_is_reuse(tabs_user, happened):
    """The successor is answered again only while it is live and derived from the token, and the user active."""
    successor = refresh(tabs_user.tenant, tabs_user.refresh_token).json()["refresh_token"]
    happened(tabs_user, successor)

    assert_refused(refresh(tabs_user.tenant, tabs_user.refresh_token), "token_reused")
    assert all(row.revoked_at is not None for row in token_rows(tabs_user.tenant))


def refresh_answered(tenant, token: str):
    """One client's refresh over its own connection, retried on 503 as Retry-After says."""
    api = APIClient()
    return until_answered(lambda: refresh(tenant, token, api=api), status=lambda response: response.status_code)


def test_eight_concurrent_refreshes_within_the_interval_all_get_the_one_successor(tabs_user):
    """8 tabs refresh one token at once: eight 200s with one refresh token, one successor row, no reuse."""
    responses = at_once(THREADS, lambda: refresh_answered(tabs_user.tenant, tabs_user.refresh_token))

    assert [response.status_code for response in responses] == [200] * THREADS, [r.content[:200] for r in responses]
    assert len({response.json()["refresh_token"] for response in responses}) == 1
    rows = token_rows(tabs_user.tenant)
    assert len(rows) == 2 and all(row.revoked_at is None for row in rows)  # the losers' successors are gone
    assert reuse_records() == 0


LOGOUT_ROUNDS = 8


def test_a_logout_racing_a_refresh_is_never_reported_as_reuse(user):
    """Logout and refresh of one token at once (strict rotation): 204, and 200 or invalid_token, never a reuse record."""
    tenant = user.tenant
    for _ in range(LOGOUT_ROUNDS):
        token = log_in(user).refresh_token
        logout, refreshed = each_at_once(
            lambda token=token: until_answered(lambda: call(tenant, "logout", {"refresh_token": token}, api=APIClient()), status=lambda r: r.status_code),
            lambda token=token: refresh_answered(tenant, token),
        )
        assert logout.status_code == 204, logout.content
        assert refreshed.status_code in (200, 401), refreshed.content
        if refreshed.status_code == 401:
            assert refreshed.json()["error"] == "invalid_token"
    assert reuse_records() == 0


# --- across two server processes ------------------------------------------------------------


def register_and_log_in(server, interval: int) -> tuple[str, str, str]:
    """A client with `interval` registered on `server`, and a logged-in user of it: (client_id, key, refresh token)."""
    status, client = server.request(
        "POST", "/api/v1/clients/register", {"client_name": "Two Tabs Co", "industry": "SaaS", "refresh_reuse_interval": interval}
    )
    assert status == 201, client
    client_id, key = client["client_id"], client["access_key"]
    user = {"email": "ada@example.com", "password": PASSWORD}
    assert server.request("POST", f"/api/v1/{client_id}/signup", user, key)[0] == 201
    status, pair = server.request("POST", f"/api/v1/{client_id}/login", user, key)
    assert status == 200, pair
    return client_id, key, pair["refresh_token"]


def test_eight_refreshes_across_two_server_processes_all_get_the_one_successor(tmp_path):
    """Two production servers on one database: 8 refreshes of one token split between them all answer one successor."""
    (tmp_path / "one").mkdir(), (tmp_path / "two").mkdir()
    with (
        production_server_running(tmp_path / "one", WEB_CONCURRENCY="1") as one,
        production_server_running(tmp_path / "two", beside=one, WEB_CONCURRENCY="1") as two,
    ):
        client_id, key, token = register_and_log_in(one, REUSE_INTERVAL)
        path, body = f"/api/v1/{client_id}/token/refresh", {"refresh_token": token}
        servers = [one, two] * (THREADS // 2)
        answers = each_at_once(*[lambda server=server: server.request("POST", path, body, key) for server in servers])

        assert [status for status, _ in answers] == [200] * THREADS, answers
        successors = {answer["refresh_token"] for _, answer in answers}
        assert len(successors) == 1
        # One successor, live on both: it refreshes once, and then the first token is reuse.
        (successor,) = successors
        assert two.request("POST", path, {"refresh_token": successor}, key)[0] == 200
        status, refused = one.request("POST", path, body, key)
        assert (status, refused["error"]) == (401, "token_reused")


# --- the successor's secret -------------------------------------------------------------------


@pytest.mark.store_independent
def test_a_successors_secret_is_derived_from_the_spent_token_its_own_id_and_the_key():
    """Same inputs, same token (an opaque one of the usual shape); any other spent token, id or key, another."""
    spent, successor_id = f"rt_{uuid.uuid4().hex}.{secrets.token_urlsafe(32)}", uuid.uuid4()
    token = successor_refresh_token(spent=spent, successor_id=successor_id, key="k1").text

    assert OPAQUE_REFRESH_TOKEN.fullmatch(token) and refresh_token_id(token) == successor_id
    assert successor_refresh_token(spent=spent, successor_id=successor_id, key="k1").text == token
    others = {
        successor_refresh_token(spent=spent + "x", successor_id=successor_id, key="k1").text,
        successor_refresh_token(spent=spent, successor_id=uuid.uuid4(), key="k1").text.partition(".")[2],
        successor_refresh_token(spent=spent, successor_id=successor_id, key="k2").text,
    }
    assert token not in others and token.partition(".")[2] not in others


@pytest.mark.store_independent
def test_a_successor_is_recomputed_after_the_hmac_key_was_rotated(settings):
    """Minted under the old key, recomputed once the new key is current and the old one a fallback; not without it."""
    spent = f"rt_{uuid.uuid4().hex}.{secrets.token_urlsafe(32)}"
    with override_settings(AUTHSVC_HMAC_KEY="old-key-" + "o" * 40):
        token = successor_refresh_token(spent=spent, successor_id=uuid.uuid4())
        row = RefreshToken(token_id=token.token_id, token_hash=refresh_token_hash(token.text))

    settings.AUTHSVC_HMAC_KEY, settings.AUTHSVC_HMAC_KEY_FALLBACKS = "new-key-" + "n" * 40, ["old-key-" + "o" * 40]
    assert successor_recomputed(spent=spent, successor=row) == token.text
    assert successor_recomputed(spent=spent + "x", successor=row) is None
    settings.AUTHSVC_HMAC_KEY_FALLBACKS = []
    assert successor_recomputed(spent=spent, successor=row) is None
