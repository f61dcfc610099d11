"""Retries on a real 429 (a client's limit set to refuse) and a real 503 (the server's Redis stopped):
only calls that are safe to send twice are retried, after Retry-After, a bounded number of times."""

import re
import time
from pathlib import Path

import httpx
import pytest
from conftest import PASSWORD, sdk_for

from authsvc_client import AuthsvcClient, AuthsvcConnectionError, RateLimited, ServiceUnavailable, TokenReused
from authsvc_client.endpoints import UNSET, Endpoints
from tests.conftest import make_tenant
from tests.production import production_server_running

pytestmark = pytest.mark.store_independent

USER_ID = "6f1c1f4e-0000-4000-8000-000000000000"
# Each endpoint and whether the SDK sends it again after a 429, a 503 or no answer (README, "Retries").
RETRY_SAFE = {
    "verify": (lambda e: e.verify("t", None), True),
    "revoke": (lambda e: e.revoke("t", None, None, None), True),
    "logout": (lambda e: e.logout("rt", None, None), True),
    "get_user": (lambda e: e.get_user(USER_ID), True),
    "list_users": (lambda e: e.list_users(None, None, None), True),
    "get_settings": (lambda e: e.get_settings(), True),
    "list_audit": (lambda e: e.list_audit({}, None, None), True),
    "jwks": (lambda e: e.jwks(), True),
    "client_discovery": (lambda e: e.client_discovery(), True),
    "service_discovery": (lambda e: e.service_discovery(), True),
    "update_settings": (lambda e: e.update_settings({"client_name": "Shop"}), True),
    "list_webhooks": (lambda e: e.list_webhooks(), True),
    "list_webhook_deliveries": (lambda e: e.list_webhook_deliveries(USER_ID, None, None), True),
    "import_users": (lambda e: e.import_users([{"email": "a@example.com", "password": "p"}]), True),
    "export_users": (lambda e: e.export_users(), True),
    "update_user": (lambda e: e.update_user(USER_ID, {"custom_fields": {}, "email": UNSET}), True),
    "update_user with an email": (lambda e: e.update_user(USER_ID, {"email": "new@example.com"}), False),
    "signup": (lambda e: e.signup("a@example.com", "p", None, None, None), False),
    "login": (lambda e: e.login("a@example.com", "p", None, None), False),
    "refresh": (lambda e: e.refresh("rt", None, None), False),
    "refresh within a reuse interval": (lambda e: Endpoints(USER_ID, 30).refresh("rt", None, None), True),
    "forgot_password": (lambda e: e.forgot_password("a@example.com", None, None), False),
    "reset_password": (lambda e: e.reset_password("t", "p", None, None), False),
    "verify_email": (lambda e: e.verify_email("t", None, None), False),
    "resend_verification": (lambda e: e.resend_verification("a@example.com", None, None), False),
    "change_password": (lambda e: e.change_password(USER_ID, "p", "q", None, None), False),
    "delete_user": (lambda e: e.delete_user(USER_ID), False),
    "create_webhook": (lambda e: e.create_webhook("https://shop.example/hooks", ["user.created"], None), False),
    "rotate_webhook_secret": (lambda e: e.rotate_webhook_secret(USER_ID), False),
    "delete_webhook": (lambda e: e.delete_webhook(USER_ID), False),
    "login_mfa": (lambda e: e.login_mfa("mfa_x.y", "123456", None, None, None), False),
    "login_mfa_totp_enrol": (lambda e: e.login_mfa_totp_enrol("mfa_x.y", None, None), False),
    "login_mfa_totp_confirm": (lambda e: e.login_mfa_totp_confirm("mfa_x.y", "123456", None, None), False),
    "login_mfa_passkey_options": (lambda e: e.login_mfa_passkey_options("mfa_x.y", None, None), False),
    "passkey_login_options": (lambda e: e.passkey_login_options(None, None, None), False),
    "login_passkey": (lambda e: e.login_passkey(USER_ID, {}, None, None), False),
    "enrol_totp": (lambda e: e.enrol_totp(USER_ID, None, None), False),
    "confirm_totp": (lambda e: e.confirm_totp(USER_ID, "123456", None, None), False),
    "remove_totp": (lambda e: e.remove_totp(USER_ID, None, None), False),
    "regenerate_recovery_codes": (lambda e: e.regenerate_recovery_codes(USER_ID, None, None), False),
    "passkey_registration_options": (lambda e: e.passkey_registration_options(USER_ID, None, None), False),
    "register_passkey": (lambda e: e.register_passkey(USER_ID, {}, None, None, None), False),
    "list_passkeys": (lambda e: e.list_passkeys(USER_ID), True),
    "delete_passkey": (lambda e: e.delete_passkey(USER_ID, USER_ID, None, None), False),
}
README = Path(__file__).resolve().parents[1] / "README.md"


def test_every_endpoint_is_in_the_table():
    """A new endpoint cannot be added without deciding whether it is retried."""
    endpoints = {name for name in vars(Endpoints) if not name.startswith("_") and callable(getattr(Endpoints, name))}
    assert endpoints == {name.split(" ")[0] for name in RETRY_SAFE}


def readme_section(heading: str) -> str:
    text = README.read_text()
    start = text.index(heading)
    return text[start : text.index("\n#", start + len(heading))]


def test_every_method_is_in_the_readmes_method_and_retry_tables():
    """Each public method of the client (a `_page` variant under its listing) is documented, and said to
    be retried or not, with its reason, in clients/python/README.md."""
    methods = {name.removesuffix("_page") for name in vars(AuthsvcClient) if not name.startswith("_") and name != "close"}
    for heading in ("## The client", "### Retries"):
        named = set(re.findall(r"`(\w+)\(", readme_section(heading))) | set(re.findall(r"`(\w+)`", readme_section(heading)))
        assert sorted(methods - named) == [], heading


@pytest.mark.parametrize("name", list(RETRY_SAFE))
def test_which_calls_are_retried_is_the_documented_table(name):
    """Read-only and idempotent calls are retried; sign-up, login, refresh and single-use tokens never."""
    build, safe = RETRY_SAFE[name]
    assert build(Endpoints(USER_ID)).retry_safe is safe


def refuse_every_call(tenant) -> None:
    tenant.client.rate_limits = {"access_key": "0/s"}  # 0 calls: every call is refused, Retry-After 1
    tenant.client.save()


def lift_limits(tenant):
    def lift() -> None:
        tenant.client.rate_limits = {}
        tenant.client.save()  # saved in this process: the live server forgets its memory of the key at once

    return lift


@pytest.mark.django_db(transaction=True)
def test_a_safe_call_refused_with_429_is_sent_again_after_retry_after_and_succeeds(sdk, tenant, attempts):
    """429 with Retry-After: 1 → the SDK waits at least that long, sends again, answers the result."""
    refuse_every_call(tenant)
    attempts.on_status[429] = [lift_limits(tenant)]
    started = time.monotonic()
    assert sdk.get_settings().client_id == tenant.client_id
    assert attempts.statuses == [429, 200]
    assert time.monotonic() - started >= 1.0


@pytest.mark.django_db(transaction=True)
def test_retries_are_bounded_and_the_last_refusal_is_raised(service, tenant, attempts):
    """`retries=1`: two attempts, then RateLimited with its retry_after."""
    refuse_every_call(tenant)
    client = sdk_for(service, tenant, attempts, retries=1)
    with pytest.raises(RateLimited) as raised:
        client.verify("any-token")
    assert attempts.statuses == [429, 429]
    assert raised.value.retry_after >= 1


@pytest.mark.django_db(transaction=True)
def test_a_retry_after_longer_than_max_retry_after_is_not_waited_for(service, tenant, attempts):
    """The caller's bound on waiting wins: raised at once, Retry-After in the error."""
    refuse_every_call(tenant)
    with pytest.raises(RateLimited):
        sdk_for(service, tenant, attempts, max_retry_after=0.5).get_settings()
    assert attempts.statuses == [429]


UNSAFE_CALLS = [
    ("signup", lambda sdk: sdk.signup("ada@example.com", PASSWORD)),
    ("login", lambda sdk: sdk.login("ada@example.com", PASSWORD)),
    ("refresh", lambda sdk: sdk.refresh("rt_0000.secret")),
    ("forgot_password", lambda sdk: sdk.forgot_password("ada@example.com")),
    ("delete_user", lambda sdk: sdk.delete_user(USER_ID)),
]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("send", [send for _, send in UNSAFE_CALLS], ids=[name for name, _ in UNSAFE_CALLS])
def test_a_call_not_safe_to_repeat_is_sent_once_and_its_429_raised(sdk, tenant, attempts, send):
    """Sign-up, login, refresh, mail and delete: one attempt, RateLimited at once, for the caller to pass on."""
    refuse_every_call(tenant)
    with pytest.raises(RateLimited):
        send(sdk)
    assert attempts.statuses == [429]


# --- refresh and the client's reuse interval -----------------------------------------------------


def lose_the_first_answer(attempts):
    """The service answered, the answer never arrived: the first 200 is turned into a read error."""
    lost = []

    def lose() -> None:
        if not lost:
            lost.append(True)
            raise httpx.ReadError("the connection dropped before the answer was read")

    attempts.on_status[200] = [lose]


@pytest.mark.django_db(transaction=True)
def test_a_refresh_whose_answer_was_lost_is_retried_within_the_reuse_interval_and_keeps_the_login(service, attempts):
    """The first attempt spent the token; the retry (the same token, within the interval) gets the same
    pair back instead of revoking the login, and that pair keeps working."""
    tenant = make_tenant("Tabs", refresh_reuse_interval=60)
    client = sdk_for(service, tenant, attempts, refresh_reuse_interval=60)
    pair = client.signup("ada@example.com", PASSWORD).tokens
    lose_the_first_answer(attempts)
    renewed = client.refresh(pair.refresh_token)
    assert attempts.statuses[-2:] == [200, 200]
    assert client.refresh(renewed.refresh_token).user_id == pair.user_id


@pytest.mark.django_db(transaction=True)
def test_under_strict_rotation_a_refresh_whose_answer_was_lost_is_not_retried(sdk, attempts):
    """Without a reuse interval a retry would be reuse (and revoke the login): the SDK raises instead."""
    pair = sdk.signup("ada@example.com", PASSWORD).tokens
    lose_the_first_answer(attempts)
    with pytest.raises(AuthsvcConnectionError):
        sdk.refresh(pair.refresh_token)
    assert attempts.statuses[-1:] == [200] and len(attempts.statuses) == 2  # sign-up, one refresh
    with pytest.raises(TokenReused):
        sdk.refresh(pair.refresh_token)  # what a blind retry would have got


# --- a real 503: the server's Redis stops ------------------------------------------------------


@pytest.fixture(scope="module")
def server_with_own_redis(tmp_path_factory):
    """The production command (gunicorn) on a Redis of its own, which the tests stop and start again."""
    from conftest import RedisServer

    redis = RedisServer()
    redis.start()
    try:
        with production_server_running(tmp_path_factory.mktemp("outage"), REDIS_URL=redis.url, WEB_CONCURRENCY="1") as server:
            status, registered = server.request("POST", "/api/v1/clients/register", {"client_name": "Outage", "industry": "SaaS"})
            assert status == 201, registered
            yield server, redis, registered
    finally:
        redis.stop()


@pytest.fixture
def redis_down(server_with_own_redis):
    server, redis, registered = server_with_own_redis
    redis.stop()
    yield server, redis, registered
    if redis.process is None:
        redis.start()


def test_a_safe_call_answered_503_while_redis_is_down_succeeds_once_it_is_back(redis_down, attempts):
    """503 with Retry-After 5 → the SDK waits, Redis returns meanwhile, the second attempt answers."""
    server, redis, registered = redis_down
    client = AuthsvcClient(server.url, registered["client_id"], registered["access_key"], http_client=attempts.http())
    attempts.on_status[503] = [redis.start]
    started = time.monotonic()
    assert client.get_settings().client_name == "Outage"
    assert attempts.statuses == [503, 200]
    assert time.monotonic() - started >= 5.0


def test_a_login_answered_503_is_raised_at_once(redis_down, attempts):
    """Not safe to repeat: one attempt, ServiceUnavailable with the server's Retry-After."""
    server, redis, registered = redis_down
    client = AuthsvcClient(server.url, registered["client_id"], registered["access_key"], http_client=attempts.http())
    with pytest.raises(ServiceUnavailable) as raised:
        client.login("ada@example.com", PASSWORD)
    assert (raised.value.status, raised.value.code, raised.value.retry_after) == (503, "service_unavailable", 5.0)
    assert attempts.statuses == [503]
