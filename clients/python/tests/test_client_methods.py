"""Every method of AuthsvcClient against a live authsvc: what it sends arrives, and what comes back is typed."""

import uuid

import pytest
from conftest import PASSWORD, mailed_token, sdk_for, unique_email

from authsvc_client import (
    ClientSettings,
    Discovery,
    InvalidCredentials,
    InvalidToken,
    NotFound,
    SignupResult,
    TokenPair,
    User,
)
from tests.conftest import make_tenant

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.store_independent]

NEW_PASSWORD = "Another-horse-battery-staple-7"


@pytest.fixture
def signed_up(sdk) -> SignupResult:
    return sdk.signup(unique_email(), PASSWORD, {"plan": "pro"})


def test_signup_answers_the_user_and_a_first_pair_of_tokens(sdk):
    """A sign-up without required verification: the user as stored, and tokens typed as such."""
    result = sdk.signup("Ada@Example.com", PASSWORD, {"plan": "pro"})
    assert isinstance(result, SignupResult)
    assert (result.email, result.custom_fields, result.verification_required) == ("ada@example.com", {"plan": "pro"}, False)
    assert isinstance(result.tokens, TokenPair) and result.tokens.user_id == result.user_id
    assert result.tokens.token_type == "Bearer" and result.tokens.expires_in > 0
    assert "refresh_token" not in repr(result.tokens)  # a log line of the result shows no refresh token


def test_login_and_refresh_answer_pairs_and_the_spent_refresh_token_stops_working(sdk, signed_up):
    """login gives a pair, refresh a new one for the same user; the old refresh token is spent."""
    pair = sdk.login(signed_up.email, PASSWORD)
    renewed = sdk.refresh(pair.refresh_token)
    assert renewed.user_id == pair.user_id == signed_up.user_id
    assert renewed.refresh_token != pair.refresh_token
    with pytest.raises(InvalidToken):
        sdk.refresh(pair.refresh_token)


def test_verify_introspects_a_live_access_token_and_says_inactive_for_anything_else(sdk, signed_up):
    """token/verify: the user as stored now for a live token, `active` False and nothing more otherwise."""
    live = sdk.verify(signed_up.tokens.access_token)
    assert (live.active, live.user_id, live.sub, live.aud, live.email) == (True, signed_up.user_id, signed_up.user_id, sdk.client_id, signed_up.email)
    assert live.custom_fields == {"plan": "pro"}
    assert sdk.verify("not-a-token").active is False


def test_revoke_ends_the_login_of_an_access_token_and_is_idempotent(sdk, signed_up):
    """RFC 7009: the access token's login ends (verify says inactive, its refresh token dies); again is fine."""
    sdk.revoke(signed_up.tokens.access_token, token_type_hint="access_token")
    sdk.revoke(signed_up.tokens.access_token)
    assert sdk.verify(signed_up.tokens.access_token).active is False
    with pytest.raises(InvalidToken):
        sdk.refresh(signed_up.tokens.refresh_token)


def test_logout_ends_one_login_and_may_be_repeated(sdk, signed_up):
    """logout: that login's refresh token is dead; a second logout of it still succeeds; other logins live."""
    other_login = sdk.login(signed_up.email, PASSWORD)
    sdk.logout(signed_up.tokens.refresh_token)
    sdk.logout(signed_up.tokens.refresh_token)
    with pytest.raises(InvalidToken):
        sdk.refresh(signed_up.tokens.refresh_token)
    assert sdk.refresh(other_login.refresh_token).user_id == signed_up.user_id


def test_get_update_and_delete_a_user(sdk, signed_up):
    """get_user reads, update_user changes only what it is given, delete_user removes (then 404)."""
    user = sdk.get_user(signed_up.user_id)
    assert isinstance(user, User) and (user.email, user.is_active, user.custom_fields) == (signed_up.email, True, {"plan": "pro"})
    assert user.created_at is not None and user.created_at.tzinfo is not None
    updated = sdk.update_user(signed_up.user_id, custom_fields={"plan": "team"}, email_verified=True)
    assert (updated.custom_fields, updated.email_verified, updated.is_active) == ({"plan": "team"}, True, True)
    assert sdk.update_user(signed_up.user_id, is_active=False).is_active is False
    sdk.delete_user(signed_up.user_id)
    with pytest.raises(NotFound):
        sdk.get_user(signed_up.user_id)


def test_list_users_walks_every_keyset_page_oldest_first(sdk, attempts):
    """The iterator fetches page after page (following `next`) and yields each user once, in order."""
    emails = [sdk.signup(f"user{n}@example.com", PASSWORD).email for n in range(5)]
    attempts.clear()
    assert [user.email for user in sdk.list_users(page_size=2)] == emails
    assert attempts.sent == [f"GET /api/v1/{sdk.client_id}/users"] * 3
    assert [user.email for user in sdk.list_users(email="USER3@example.com")] == ["user3@example.com"]
    page = sdk.list_users_page(limit=4)
    assert len(page.results) == 4 and page.next is not None


def test_change_password_then_only_the_new_password_logs_in(sdk, signed_up):
    """users/{id}/password with the current password; the old one is refused afterwards."""
    sdk.change_password(signed_up.user_id, PASSWORD, NEW_PASSWORD)
    assert sdk.login(signed_up.email, NEW_PASSWORD).user_id == signed_up.user_id
    with pytest.raises(InvalidCredentials):
        sdk.login(signed_up.email, PASSWORD)


def test_forgot_and_reset_password_with_the_mailed_token(sdk, signed_up, mailoutbox):
    """password/forgot mails a link; its token resets the password through reset_password."""
    assert sdk.forgot_password(signed_up.email) is None
    assert sdk.reset_password(mailed_token(mailoutbox, "reset-password"), NEW_PASSWORD) == signed_up.user_id
    assert sdk.login(signed_up.email, NEW_PASSWORD).user_id == signed_up.user_id


def test_signup_with_required_verification_then_resend_and_verify_email(service, attempts, mailoutbox):
    """No tokens until verified; resend_verification mails a link whose token verify_email spends."""
    strict = sdk_for(service, make_tenant("Strict Co", require_email_verification=True), attempts)
    result = strict.signup("ada@example.com", PASSWORD)
    assert (result.tokens, result.verification_required, result.email_verified) == (None, True, False)
    strict.resend_verification("ada@example.com")
    assert strict.verify_email(mailed_token(mailoutbox, "verify-email")) == result.user_id
    assert strict.get_user(result.user_id).email_verified is True


def test_get_settings_answers_the_clients_own_settings(sdk, tenant):
    """GET /api/v1/<client_id>/: typed fields, and the whole answer in `raw`."""
    settings = sdk.get_settings()
    assert isinstance(settings, ClientSettings)
    assert (settings.client_id, settings.client_name, settings.is_active) == (tenant.client_id, "Shop SDK", True)
    assert settings.raw["client_id"] == tenant.client_id


@pytest.mark.parametrize(("token_issuer", "issuer_path"), [("client", "/api/v1/{client_id}"), ("service", "")])
def test_discovery_finds_the_clients_issuer_and_jwks_its_keys(service, attempts, token_issuer, issuer_path):
    """A client with its own issuer reads its own document; one on the service's issuer the root one."""
    tenant = make_tenant("Issuer Co", token_issuer=token_issuer)
    client = sdk_for(service, tenant, attempts)
    document = client.discovery()
    assert isinstance(document, Discovery)
    assert document.issuer == service + issuer_path.format(client_id=tenant.client_id)
    assert document.jwks_uri == service + "/.well-known/jwks.json"
    assert all(key["kty"] == "RSA" and key["kid"] for key in client.jwks()["keys"])


def test_end_user_address_and_agent_reach_the_audit_trail(sdk, signed_up):
    """end_user_ip / end_user_agent travel as X-End-User-IP / -Agent; list_audit reads them back."""
    with pytest.raises(InvalidCredentials):
        sdk.login(signed_up.email, "wrong password", end_user_ip="203.0.113.9", end_user_agent="Firefox/140")
    (record,) = sdk.list_audit(action="login", status="failed")
    assert (record.ip_address, record.user_agent, record.reason) == ("203.0.113.9", "Firefox/140", "invalid_credentials")
    assert record.user_id == signed_up.user_id


def test_a_user_id_that_is_not_a_uuid_is_not_found_not_a_crash(sdk):
    """The path segment is escaped; the service answers 404 for what is not one of its user ids."""
    with pytest.raises(NotFound):
        sdk.get_user("../" + str(uuid.uuid4()))


def test_import_users_is_idempotent_and_export_users_streams_them_back(sdk):
    """users/import: created, duplicates and refused lines counted; again, nothing more; users/export: every user, in order."""
    lines = [
        {"email": "imported1@example.com", "password": PASSWORD, "custom_fields": {"plan": "gold"}},
        {"email": "imported2@example.com", "password": PASSWORD},
        {"email": "IMPORTED1@example.com", "password": PASSWORD},
        {"email": "no-password@example.com"},
    ]
    first = sdk.import_users(lines)
    assert (first.lines, first.created, first.skipped_duplicates, first.invalid) == (4, 2, 1, 1)
    assert first.duplicate_lines == [3] and first.invalid_lines[0]["line"] == 4
    assert sdk.import_users(lines).created == 0
    assert sdk.login("imported2@example.com", PASSWORD).user_id
    exported = list(sdk.export_users())
    assert [user.email for user in exported] == ["imported1@example.com", "imported2@example.com"]
    assert exported[0].custom_fields == {"plan": "gold"} and "password_hash" not in exported[0].raw
