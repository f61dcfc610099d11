"""Rate limits: each bucket, its default and overrides, the 429 and its audit record, isolation."""

import json
import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.conf import settings

from audit.models import AuditLog
from clientapi.ratelimits import client_rate
from core.rates import window_end
from tenants.services import access_key_rotate
from tenants.user_models import user_model_for
from tests.accounts.conftest import PASSWORD, call
from tests.conftest import Tenant

pytestmark = pytest.mark.django_db(transaction=True)

END_USER_IP = "203.0.113.7"
OTHER_IP = "198.51.100.9"
RATE = 2  # every exercised limit is 2 per hour: an hour window never rolls over mid-test

DOCUMENTED_DEFAULTS = {
    "access_key": "1200/m",
    "login_email": "10/m",
    "login_ip": "30/m",
    "signup_ip": "30/m",
    "mail_email": "5/h",
    "mail_client": "200/h",
    "link_ip": "30/m",
    "mfa_user": "10/m",
    "mfa_ip": "30/m",
    "transfer_client": "60/h",
}


def from_ip(ip: str) -> dict:
    return {"HTTP_X_END_USER_IP": ip}


@dataclass(frozen=True)
class LimitCase:
    """One limit, and how to make calls that land in one bucket of it (or in another one)."""

    limit: str
    path: str
    attempted: str  # the action the audit record says was refused
    allowed_status: int  # what a call under the limit answers (401 for a login with no such user)
    same_bucket: Callable[[int], tuple[dict, dict]]  # n -> (body, headers) of the n-th call
    other_bucket: Callable[[], tuple[dict, dict]]
    bucket_ip: str | None = END_USER_IP  # the IP the audit record carries


def login(email: str) -> dict:
    return {"email": email, "password": "Wrong-password-123"}


CASES = [
    LimitCase(
        "login_email",
        "login",
        "login",
        401,
        # Spellings of one email (case, spaces) and many IPs: only the email ties them.
        same_bucket=lambda n: (login([" Ada@Example.com", "ada@example.com", "ADA@EXAMPLE.COM "][n % 3]), from_ip(f"203.0.113.{n + 10}")),
        other_bucket=lambda: (login("bob@example.com"), from_ip("203.0.113.10")),
        bucket_ip=None,
    ),
    LimitCase(
        "login_ip",
        "login",
        "login",
        401,
        same_bucket=lambda n: (login(f"user{n}@example.com"), from_ip(END_USER_IP)),
        other_bucket=lambda: (login("other@example.com"), from_ip(OTHER_IP)),
    ),
    LimitCase(
        "signup_ip",
        "signup",
        "signup",
        201,
        same_bucket=lambda n: ({"email": f"user{n}@example.com", "password": PASSWORD}, from_ip(END_USER_IP)),
        other_bucket=lambda: ({"email": "other@example.com", "password": PASSWORD}, from_ip(OTHER_IP)),
    ),
    LimitCase(
        "mail_email",
        "password/forgot",
        "password_forgot",
        202,
        same_bucket=lambda n: ({"email": ["Ada@example.com", "ada@example.com "][n % 2]}, from_ip(f"203.0.113.{n + 10}")),
        other_bucket=lambda: ({"email": "bob@example.com"}, from_ip("203.0.113.10")),
        bucket_ip=None,
    ),
    LimitCase(
        "mail_email",
        "email/resend",
        "email_resend",
        202,
        same_bucket=lambda n: ({"email": "ada@example.com"}, from_ip(f"203.0.113.{n + 10}")),
        other_bucket=lambda: ({"email": "bob@example.com"}, from_ip("203.0.113.10")),
        bucket_ip=None,
    ),
    LimitCase(
        "access_key",
        "token/verify",
        "token_verify",
        200,
        same_bucket=lambda n: ({"token": f"not-a-token-{n}"}, from_ip(f"203.0.113.{n + 10}")),
        other_bucket=lambda: ({"token": "not-a-token"}, {}),  # sent with a second key: see call_other_bucket
        bucket_ip=None,
    ),
]
CASE_IDS = [f"{case.limit}-{case.path}" for case in CASES]
# One case per limit: both mail endpoints share the `mail_email` limit.
ONE_PER_LIMIT = [case for case in CASES if case.path != "email/resend"]


def set_client_rate(tenant: Tenant, limit: str, rate: str) -> None:
    tenant.client.rate_limits = {limit: rate}
    tenant.client.save()


def set_settings_rate(settings_fixture, limit: str, rate: str) -> None:
    """The rate of `limit` for every client without an override of its own."""
    settings_fixture.AUTHSVC_RATE_LIMITS = {**settings.AUTHSVC_RATE_LIMITS, limit: rate}


def call_in_bucket(tenant: Tenant, case: LimitCase, n: int):
    body, headers = case.same_bucket(n)
    return call(tenant, case.path, body, **headers)


def call_other_bucket(tenant: Tenant, case: LimitCase):
    body, headers = case.other_bucket()
    if case.limit == "access_key":
        second_key = access_key_rotate(client=tenant.client)
        return call(Tenant(tenant.client, second_key), case.path, body, **headers)
    return call(tenant, case.path, body, **headers)


def use_up(tenant: Tenant, case: LimitCase) -> None:
    for n in range(RATE):
        response = call_in_bucket(tenant, case, n)
        assert response.status_code == case.allowed_status, response.content


def assert_rate_limited(response, *, max_retry_after: int = 3600) -> None:
    assert response.status_code == 429, response.content
    body = response.json()
    assert body["error"] == "rate_limited" and body["detail"]
    assert response["Retry-After"].isdigit(), response["Retry-After"]
    assert 1 <= int(response["Retry-After"]) <= max_retry_after


def rate_limited_records(client_id=None) -> list[AuditLog]:
    return list(AuditLog.objects.filter(action="rate_limited", client_id=client_id).order_by("timestamp"))


def test_the_default_rates_are_the_documented_ones_and_a_client_override_replaces_only_its_own(tenant):
    """Settings carry the issue's defaults; a client gets them unless its `rate_limits` names a limit."""
    assert settings.AUTHSVC_RATE_LIMITS == DOCUMENTED_DEFAULTS
    assert settings.AUTHSVC_REGISTRATION_RATE == "20/h"
    assert {limit: client_rate(tenant.client, limit) for limit in DOCUMENTED_DEFAULTS} == DOCUMENTED_DEFAULTS
    set_client_rate(tenant, "login_ip", "100/m")
    assert client_rate(tenant.client, "login_ip") == "100/m"
    assert client_rate(tenant.client, "login_email") == DOCUMENTED_DEFAULTS["login_email"]


def email_whose_window_lasts(*, seconds: float, period: int) -> str:
    """An address whose bucket has `seconds` of its window left (each key's window is offset
    by a hash of it), so a burst fits in one window without waiting for the next."""
    for n in range(200):
        email = f"burst{n}@example.com"
        if window_end(email, period, now=time.time()) - time.time() >= seconds:
            return email
    raise AssertionError("no address with a long enough window among 200")


def test_the_default_login_email_rate_applies_without_any_override(tenant):
    """Ten logins per minute for one email, the eleventh is refused: the real default, not a test rate."""
    limit = int(DOCUMENTED_DEFAULTS["login_email"].split("/")[0])
    email = email_whose_window_lasts(seconds=15, period=60)
    for n in range(limit):
        assert call(tenant, "login", login(email), **from_ip(f"203.0.113.{n + 10}")).status_code == 401
    assert_rate_limited(call(tenant, "login", login(email)), max_retry_after=60)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_calls_over_a_client_override_get_429_and_one_audit_record_each_while_other_buckets_pass(tenant, case):
    """Within the rate calls pass; each one over it is 429 + Retry-After + one `rate_limited` record; another bucket passes."""
    set_client_rate(tenant, case.limit, f"{RATE}/h")
    use_up(tenant, case)
    for n in range(RATE, RATE + 2):
        records_before = AuditLog.objects.count()
        assert_rate_limited(call_in_bucket(tenant, case, n))
        assert AuditLog.objects.count() == records_before + 1  # that one record, no other for the attempt
    records = rate_limited_records(tenant.client.client_id)
    assert len(records) == 2
    for record in records:
        assert (record.status, record.reason) == ("failed", "rate_limited")
        assert record.metadata == {"attempted": case.attempted, "limit": case.limit}
        if case.bucket_ip:
            assert record.ip_address == case.bucket_ip
    # Another email, another IP, another access key of the same client: its own bucket.
    response = call_other_bucket(tenant, case)
    assert response.status_code == case.allowed_status, response.content


@pytest.mark.parametrize("case", ONE_PER_LIMIT, ids=lambda case: case.limit)
def test_a_rate_from_settings_applies_and_one_client_never_spends_another_clients_limit(tenant, other_tenant, case, settings):
    """Same settings rate, same email/IP for both clients: A's bucket is full, B's calls answer as usual."""
    set_settings_rate(settings, case.limit, f"{RATE}/h")
    use_up(tenant, case)
    assert_rate_limited(call_in_bucket(tenant, case, RATE))
    use_up(other_tenant, case)
    assert rate_limited_records(other_tenant.client.client_id) == []


def test_a_refused_signup_creates_no_user(tenant):
    """The limit is checked before the service: a 429 signup writes nothing."""
    set_client_rate(tenant, "signup_ip", "1/h")
    signup = {"email": "first@example.com", "password": PASSWORD}
    assert call(tenant, "signup", signup, **from_ip(END_USER_IP)).status_code == 201
    assert_rate_limited(call(tenant, "signup", {**signup, "email": "second@example.com"}, **from_ip(END_USER_IP)))
    emails = set(user_model_for(tenant.client.client_id).objects.values_list("email", flat=True))
    assert emails == {"first@example.com"}


# --- keys are validated values -------------------------------------------------------------


def login_from(tenant: Tenant, n: int, *, peer: str, end_user_ip: str | None = None):
    headers = {"REMOTE_ADDR": peer}
    if end_user_ip is not None:
        headers["HTTP_X_END_USER_IP"] = end_user_ip
    return call(tenant, "login", login(f"user{n}@example.com"), **headers)


def test_spellings_of_one_ipv6_address_share_one_bucket(tenant):
    """The IP is parsed before keying, so `2001:db8::1` and `2001:0db8:0:0::1` are one end user."""
    set_client_rate(tenant, "login_ip", f"{RATE}/h")
    assert login_from(tenant, 0, peer="10.0.0.1", end_user_ip="2001:db8::1").status_code == 401
    assert login_from(tenant, 1, peer="10.0.0.2", end_user_ip="2001:0DB8:0:0::1").status_code == 401
    assert_rate_limited(login_from(tenant, 2, peer="10.0.0.3", end_user_ip=" 2001:db8:0::0:1 "))


# --- registration per IP ----------------------------------------------------------------------


def register(api, n: int, **headers):
    body = json.dumps({"client_name": f"Client {n}", "industry": "SaaS"})
    return api.generic("POST", "/api/v1/clients/register", body, content_type="application/json", **headers)


def test_registration_over_its_rate_is_refused_per_peer_address(api, transactional_db, settings):
    """AUTHSVC_REGISTRATION_RATE per peer IP: over it 429 + one record; another address still registers."""
    settings.AUTHSVC_REGISTRATION_RATE = f"{RATE}/h"
    for n in range(RATE):
        assert register(api, n, REMOTE_ADDR="10.0.0.1").status_code == 201
    for n in range(RATE, RATE + 2):
        records_before = AuditLog.objects.count()
        assert_rate_limited(register(api, n, REMOTE_ADDR="10.0.0.1"))
        assert AuditLog.objects.count() == records_before + 1
    records = rate_limited_records(client_id=None)
    assert [(r.ip_address, r.metadata) for r in records] == [
        ("10.0.0.1", {"attempted": "client_register", "limit": "registration_ip"})
    ] * 2
    assert register(api, 99, REMOTE_ADDR="10.0.0.2").status_code == 201


def test_registration_ignores_x_end_user_ip_since_no_access_key_vouches_for_it(api, transactional_db, settings):
    """Without a valid key the header is not trusted: changing it does not escape the limit."""
    settings.AUTHSVC_REGISTRATION_RATE = f"{RATE}/h"
    for n in range(RATE):
        assert register(api, n, HTTP_X_END_USER_IP=f"203.0.113.{n}").status_code == 201
    assert_rate_limited(register(api, RATE, HTTP_X_END_USER_IP="203.0.113.99"))
