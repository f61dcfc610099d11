"""POST /api/v1/<client_id>/token/verify: RFC 7662 introspection of access tokens."""

import json
import uuid
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.db import connection
from rest_framework.test import APIClient

from accounts.email_tokens import Purpose, email_token_make
from accounts.flows.tokens import token_families_revoke_by_staff
from accounts.models import RefreshToken
from core.queries import SQL_VENDORS
from tests.accounts.conftest import (
    call,
    claims_of,
    log_in,
    old_format_refresh_token,
    sign_claims,
    sign_up,
    token_rows,
    with_payload,
    work_of,
)
from tests.conftest import make_tenant

pytestmark = pytest.mark.django_db(transaction=True)

INACTIVE = {"active": False}


def verify(tenant, token: str):
    return call(tenant, "token/verify", {"token": token})


@pytest.mark.parametrize(
    ("token_issuer", "issuer"),
    [("client", lambda tenant: f"{settings.AUTHSVC_ISSUER}/api/v1/{tenant.client_id}"), ("service", lambda tenant: settings.AUTHSVC_ISSUER)],
)
def test_a_valid_access_token_is_active_with_rfc_7662_fields_and_the_user(token_issuer, issuer):
    """Active: RFC 7662's sub, aud, iss, exp, iat, token_type and client_id, and the user's id, email, verification, custom_fields."""
    user = sign_up(make_tenant("Introspected", token_issuer=token_issuer))
    response = verify(user.tenant, user.access_token)
    assert response.status_code == 200
    claims = claims_of(user.access_token)
    assert response.json() == {
        "active": True,
        "sub": user.user_id,
        "aud": user.tenant.client_id,
        "iss": issuer(user.tenant),
        "exp": claims["exp"],
        "iat": claims["iat"],
        "token_type": "Bearer",
        "client_id": user.tenant.client_id,
        "user_id": user.user_id,
        "email": user.email,
        "email_verified": False,
        "custom_fields": {},
    }


def test_introspection_reports_the_user_as_it_is_now(user):
    """custom_fields and email_verified come from the store, not from the token."""
    type(user.row()).objects.filter(pk=user.user_id).update(custom_fields={"plan": "pro"}, email_verified=True)
    body = verify(user.tenant, user.access_token).json()
    assert body["custom_fields"] == {"plan": "pro"}
    assert body["email_verified"] is True


def expired(user) -> str:
    return sign_claims(user.tenant, user.user_id, token_type="access", exp_offset=-60, email=user.email)


def tampered(user) -> str:
    return with_payload(user.access_token, sub=str(uuid.uuid4()))


def unknown_issuer(user) -> str:
    return sign_claims(user.tenant, user.user_id, token_type="access", exp_offset=600, iss="https://evil.example")


def unsigned(user) -> str:
    header = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0"  # {"alg":"none","typ":"JWT"}
    return header + "." + user.access_token.split(".")[1] + "."


@pytest.mark.parametrize(
    "make_token",
    [
        expired,
        tampered,
        unknown_issuer,
        unsigned,
        lambda user: user.refresh_token,
        old_format_refresh_token,
        lambda user: "garbage",
        lambda user: "a.b.c",
    ],
    ids=["expired", "tampered", "other-issuer", "alg-none", "refresh-token", "old-format-refresh-token", "garbage", "garbage-parts"],
)
def test_a_token_not_valid_for_this_client_is_inactive(user, make_token):
    """Expired, tampered, foreign-issued, unsigned, refresh or garbage tokens: `{"active": false}` only."""
    response = verify(user.tenant, make_token(user))
    assert response.status_code == 200
    assert response.json() == INACTIVE


def test_an_access_token_issued_before_the_at_jwt_type_stays_active_until_it_expires(user):
    """Access tokens of the release before `typ: at+jwt` (typed JWT, token_type access) verify until exp."""
    untyped = sign_claims(user.tenant, user.user_id, token_type="access", exp_offset=600, email=user.email)
    assert verify(user.tenant, untyped).json()["active"] is True


def test_a_token_of_another_client_is_inactive(user, other_tenant):
    """Wrong audience: client A's access token is nothing on client B."""
    response = verify(other_tenant, user.access_token)
    assert response.status_code == 200
    assert response.json() == INACTIVE


@pytest.mark.parametrize("change", ["delete", "deactivate"])
def test_a_token_of_a_deleted_or_inactive_user_is_inactive(user, change):
    """A live signature is not enough: the user must still exist and be active."""
    users = type(user.row()).objects.filter(pk=user.user_id)
    users.delete() if change == "delete" else users.update(is_active=False)
    assert verify(user.tenant, user.access_token).json() == INACTIVE


@pytest.mark.parametrize(
    "body",
    [{}, {"token": 12}, {"token": ["a"]}, {"token": "a" * 9000}],
    ids=["missing", "number", "list", "too-long"],
)
def test_verify_with_an_ill_typed_token_answers_400(user, body):
    """Malformed input is a validation error naming the token field."""
    response = call(user.tenant, "token/verify", body)
    assert response.status_code == 400
    assert "token" in response.json()["fields"]


@pytest.mark.parametrize("accept", ["text/html", "application/xml", "image/*;q=0.5", "nonsense", ""])
def test_the_answer_is_json_whatever_accept_asks(user, accept):
    """The API speaks JSON only: any Accept header gets the same JSON answer, never a 406."""
    response = call(user.tenant, "token/verify", {"token": user.access_token}, HTTP_ACCEPT=accept)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json()["active"] is True


def test_a_body_neither_json_nor_a_form_is_still_refused_with_accept_ignored(user):
    """Choosing the answer's format ignores Accept; the body's Content-Type still has to be JSON or a form."""
    response = APIClient().generic("POST", user.tenant.url("token/verify"), "token=x", content_type="text/plain", **user.tenant.auth)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def post_form(tenant, path: str, body: str):
    return APIClient().generic("POST", tenant.url(path), body, content_type="application/x-www-form-urlencoded", **tenant.auth)


@pytest.mark.store_independent
def test_a_form_encoded_introspection_as_rfc_7662_sends_it_is_answered(user):
    """`token=...&token_type_hint=access_token`, form-encoded: the same answer as JSON."""
    response = post_form(user.tenant, "token/verify", urlencode({"token": user.access_token, "token_type_hint": "access_token"}))
    assert response.status_code == 200
    assert response.json() == verify(user.tenant, user.access_token).json()


@pytest.mark.store_independent
@pytest.mark.parametrize("hint", ["access_token", "refresh_token"])
@pytest.mark.parametrize("which", ["access", "refresh"])
def test_the_token_type_hint_changes_no_answer(user, hint, which):
    """Either hint, right or wrong: an access token is active, a refresh token inactive (only access tokens are introspected)."""
    token = user.access_token if which == "access" else user.refresh_token
    body = call(user.tenant, "token/verify", {"token": token, "token_type_hint": hint}).json()
    assert body["active"] is (which == "access")
    assert body == verify(user.tenant, token).json()


@pytest.mark.store_independent
@pytest.mark.parametrize(
    ("content_type", "body", "field"),
    [
        ("application/json", json.dumps({"token": "x", "token_type_hint": "id_token"}), "token_type_hint"),
        ("application/json", json.dumps({"token": ""}), "token"),
        ("application/x-www-form-urlencoded", "token=", "token"),
        ("application/x-www-form-urlencoded", "token_type_hint=access_token", "token"),
    ],
    ids=["unknown-hint", "empty-json", "empty-form", "missing-form"],
)
def test_an_unknown_hint_or_an_empty_token_is_a_400_naming_it(user, content_type, body, field):
    """RFC 6749 §3.1: an empty parameter is an omitted one; a hint no RFC registers is refused, not guessed at."""
    response = APIClient().generic("POST", user.tenant.url("token/verify"), body, content_type=content_type, **user.tenant.auth)
    assert response.status_code == 400
    assert field in response.json()["fields"]


@pytest.mark.store_independent
def test_a_form_parameter_sent_twice_is_refused_and_an_unknown_one_ignored(user):
    """RFC 6749 §3.1: each parameter once, so two `token`s are a 400 naming it, not a guess; §3.2: an unknown one is ignored."""
    response = post_form(user.tenant, "token/verify", urlencode([("token", "garbage"), ("token", user.access_token)]))
    assert (response.status_code, response.json()["error"]) == (400, "invalid_request")
    assert "token" in response.json()["fields"]
    assert user.access_token not in response.content.decode()
    ignored = post_form(user.tenant, "token/verify", urlencode([("token", user.access_token), ("client_id", "a"), ("client_id", "b")]))
    assert ignored.json()["active"] is True


def log_out(user) -> None:
    assert call(user.tenant, "logout", {"refresh_token": user.refresh_token}).status_code == 204


def reuse_the_refresh_token(user) -> None:
    assert call(user.tenant, "token/refresh", {"refresh_token": user.refresh_token}).status_code == 200
    assert call(user.tenant, "token/refresh", {"refresh_token": user.refresh_token}).json()["error"] == "token_reused"


def staff_revoke_the_family(user) -> None:
    family_ids = {row.family_id for row in token_rows(user.tenant)}
    assert token_families_revoke_by_staff(family_ids=family_ids) >= 1


def reset_the_password(user) -> None:
    token = email_token_make(client=user.tenant.client, user=user.row(), purpose=Purpose.RESET_PASSWORD)
    response = call(user.tenant, "password/reset", {"token": token, "new_password": "Another-horse-battery-staple-7"})
    assert response.status_code == 200


def purge_the_family(user) -> None:
    assert RefreshToken.objects.filter(family_id=claims_of(user.access_token)["sid"]).delete()[0] >= 1


@pytest.mark.parametrize(
    "end_session",
    [log_out, reuse_the_refresh_token, staff_revoke_the_family, reset_the_password, purge_the_family],
    ids=["logout", "refresh-token-reuse", "staff-revocation", "password-reset", "family-purged"],
)
def test_an_access_token_of_an_ended_session_is_inactive_at_once(user, end_session):
    """Once its login is logged out, revoked (reuse, staff, reset) or purged, its access token verifies inactive."""
    assert verify(user.tenant, user.access_token).json()["active"] is True
    end_session(user)
    assert verify(user.tenant, user.access_token).json() == INACTIVE


def test_an_access_token_refreshed_from_a_logged_out_session_is_inactive_too(user):
    """Every access token of the login goes, the refreshed ones included, not only the first."""
    refreshed = call(user.tenant, "token/refresh", {"refresh_token": user.refresh_token}).json()
    assert call(user.tenant, "logout", {"refresh_token": refreshed["refresh_token"]}).status_code == 204
    assert verify(user.tenant, refreshed["access_token"]).json() == INACTIVE
    assert verify(user.tenant, user.access_token).json() == INACTIVE


def test_logging_out_one_session_leaves_the_users_other_sessions_active(user):
    """Logout ends one login: the access token of another login of the same user stays active."""
    other_session = log_in(user)
    log_out(user)
    assert verify(user.tenant, other_session.access_token).json()["active"] is True


def test_an_access_token_names_its_session_and_one_without_it_verifies_until_it_expires(user):
    """`sid` is the login's token family; a token minted before `sid` existed is still active after a logout."""
    assert claims_of(user.access_token)["sid"] == str(token_rows(user.tenant)[0].family_id)
    without_sid = sign_claims(user.tenant, user.user_id, token_type="access", exp_offset=600, email=user.email)
    log_out(user)
    assert verify(user.tenant, without_sid).json()["active"] is True


def test_an_access_token_whose_session_is_unknown_is_inactive(user):
    """A `sid` naming no live login (such as a family purged from `tokens`) does not verify: it fails closed."""
    for sid in (str(uuid.uuid4()), "not-a-uuid"):
        token = sign_claims(user.tenant, user.user_id, token_type="access", exp_offset=600, sid=sid)
        assert verify(user.tenant, token).json() == INACTIVE


def test_a_verify_reads_the_user_and_its_session_in_one_statement_on_sql_stores(user, settings):
    """SQLite and PostgreSQL: the user row and its login's liveness in one statement; MongoDB: two reads."""
    settings.AUTHSVC_ACCESS_KEY_CACHE_SECONDS = 3600  # no key lookup in the call measured
    answers = []
    works = [work_of(lambda: answers.append(verify(user.tenant, user.access_token).json())) for _ in range(2)]
    assert [answer["active"] for answer in answers] == [True, True]
    # The first compiles the statement, the second runs it as kept: one each.
    assert [len(work.statements) for work in works] == [1 if connection.vendor in SQL_VENDORS else 2] * 2, works
