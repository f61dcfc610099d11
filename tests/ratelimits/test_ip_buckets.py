"""Per-IP buckets: IPv6 by /64, v4-mapped as IPv4, and no shared bucket for backends that send no IP."""

import pytest

from audit.models import AuditLog
from tests.accounts.conftest import PASSWORD, call, sign_up
from tests.ratelimits.test_limits import RATE, assert_rate_limited, login, login_from, register, set_client_rate

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    "first, second",
    [
        ("2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:fffe"),
        ("2001:db8:1:2::1", "2001:db8:1:2:a:b:c:d"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        ("203.0.113.7", "::ffff:cb00:7107"),
    ],
    ids=["ends of one /64", "inside one /64", "v4-mapped then IPv4", "IPv4 then v4-mapped (hex)"],
)
def test_addresses_of_one_bucket_share_the_limit(tenant, first, second):
    """Rotating within a /64, or writing an IPv4 address v4-mapped, escapes nothing."""
    set_client_rate(tenant, "login_ip", f"{RATE}/h")
    assert login_from(tenant, 0, peer="10.0.0.1", end_user_ip=first).status_code == 401
    assert login_from(tenant, 1, peer="10.0.0.1", end_user_ip=second).status_code == 401
    assert_rate_limited(login_from(tenant, 2, peer="10.0.0.1", end_user_ip=first))


@pytest.mark.parametrize(
    "spent, fresh",
    [("2001:db8:1:2::1", "2001:db8:1:3::1"), ("203.0.113.7", "203.0.113.8"), ("::ffff:203.0.113.7", "::ffff:203.0.113.8")],
    ids=["next /64", "next IPv4", "next v4-mapped"],
)
def test_a_neighbouring_bucket_is_not_spent(tenant, spent, fresh):
    """Another /64 (or another IPv4 address) keeps its own budget."""
    set_client_rate(tenant, "login_ip", f"{RATE}/h")
    for n in range(RATE):
        assert login_from(tenant, n, peer="10.0.0.1", end_user_ip=spent).status_code == 401
    assert_rate_limited(login_from(tenant, RATE, peer="10.0.0.1", end_user_ip=spent))
    assert login_from(tenant, RATE + 1, peer="10.0.0.1", end_user_ip=fresh).status_code == 401


def test_the_audit_record_shows_a_v4_mapped_address_as_ipv4(tenant):
    """Audit stores the address the bucket counted: ::ffff:203.0.113.7 is recorded as 203.0.113.7."""
    login_from(tenant, 0, peer="10.0.0.1", end_user_ip="::ffff:203.0.113.7")
    assert AuditLog.objects.get(action="login").ip_address == "203.0.113.7"


@pytest.mark.parametrize("end_user_ip", [None, "not-an-ip"], ids=["no header", "invalid header"])
def test_without_an_end_user_ip_one_attacker_cannot_lock_out_every_user(tenant, end_user_ip):
    """A backend that sends no (valid) X-End-User-IP: no per-IP bucket, so failures at other emails lock nobody out."""
    set_client_rate(tenant, "login_ip", f"{RATE}/h")
    victim = sign_up(tenant, "victim@example.com")
    for n in range(RATE * 3):
        assert login_from(tenant, n, peer="10.0.0.1", end_user_ip=end_user_ip).status_code == 401
    headers = {"REMOTE_ADDR": "10.0.0.1", **({"HTTP_X_END_USER_IP": end_user_ip} if end_user_ip else {})}
    response = call(tenant, "login", {"email": victim.email, "password": PASSWORD}, **headers)
    assert response.status_code == 200, response.content


def test_without_an_end_user_ip_the_per_email_limit_still_protects_an_account(tenant):
    """Guessing one account's password from a backend without X-End-User-IP still hits the email's limit."""
    set_client_rate(tenant, "login_email", f"{RATE}/h")
    victim = sign_up(tenant, "victim@example.com")
    for _ in range(RATE):
        assert call(tenant, "login", login(victim.email), REMOTE_ADDR="10.0.0.1").status_code == 401
    assert_rate_limited(call(tenant, "login", {"email": victim.email, "password": PASSWORD}, REMOTE_ADDR="10.0.0.2"))


def test_with_an_end_user_ip_the_attacker_alone_is_limited(tenant):
    """With the header, the attacker's address runs out while the victim's own address logs in."""
    set_client_rate(tenant, "login_ip", f"{RATE}/h")
    victim = sign_up(tenant, "victim@example.com")
    for n in range(RATE):
        login_from(tenant, n, peer="10.0.0.1", end_user_ip="2001:db8:bad::1")
    assert_rate_limited(login_from(tenant, RATE, peer="10.0.0.1", end_user_ip="2001:db8:bad::2"))
    response = call(tenant, "login", {"email": victim.email, "password": PASSWORD}, REMOTE_ADDR="10.0.0.1", HTTP_X_END_USER_IP="2001:db8:600d::1")
    assert response.status_code == 200, response.content


def test_registration_counts_an_ipv6_peer_by_its_64(api, transactional_db, settings):
    """Registration's per-IP limit uses the same buckets: two addresses of one /64 share it."""
    settings.AUTHSVC_REGISTRATION_RATE = f"{RATE}/h"
    for n in range(RATE):
        assert register(api, n, REMOTE_ADDR=f"2001:db8:5:6::{n + 1}").status_code == 201
    assert_rate_limited(register(api, RATE, REMOTE_ADDR="2001:db8:5:6::99"), max_retry_after=3600)
    assert register(api, RATE + 1, REMOTE_ADDR="2001:db8:5:7::1").status_code == 201
