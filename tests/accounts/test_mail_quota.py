"""A client's mail quota (mail_client): over it, 429 and an audit record; nothing more is mailed."""

import pytest

from audit.models import AuditLog
from tests.accounts.conftest import PASSWORD, call, sign_up
from tests.conftest import make_tenant
from tests.ratelimits.test_limits import DOCUMENTED_DEFAULTS, assert_rate_limited

pytestmark = pytest.mark.django_db(transaction=True)

QUOTA = 3


@pytest.fixture
def verifying_tenant(transactional_db):
    tenant = make_tenant("Mailer Co", require_email_verification=True)
    tenant.client.rate_limits = {"mail_client": f"{QUOTA}/h"}
    tenant.client.save()
    return tenant


def test_the_default_quota_is_200_an_hour():
    """AUTHSVC_RATE_MAIL_CLIENT defaults to 200/h, on top of the per-recipient 5/h."""
    assert DOCUMENTED_DEFAULTS["mail_client"] == "200/h"


def test_mail_sending_calls_share_one_quota_per_client(verifying_tenant, other_tenant, smtp_server):
    """Sign-ups with verification, resends and forgots to many addresses spend one quota; over it 429, no mail."""
    calls = [
        ("signup", {"email": "a@example.com", "password": PASSWORD}),
        ("email/resend", {"email": "a@example.com"}),
        ("password/forgot", {"email": "a@example.com"}),
    ]
    for path, body in calls:
        assert call(verifying_tenant, path, body, HTTP_X_END_USER_IP="203.0.113.1").status_code in (201, 202)
    mailed = len(smtp_server.messages)
    for n, (path, body) in enumerate(calls):
        rotated = {**body, "email": f"victim{n}@example.com"}
        assert_rate_limited(call(verifying_tenant, path, rotated, HTTP_X_END_USER_IP=f"198.51.100.{n}"))
    assert len(smtp_server.messages) == mailed == 3
    records = AuditLog.objects.filter(action="rate_limited", client_id=verifying_tenant.client.client_id)
    assert sorted((record.metadata["attempted"], record.metadata["limit"]) for record in records) == [
        ("email_resend", "mail_client"), ("password_forgot", "mail_client"), ("signup", "mail_client"),
    ]
    # Another client's quota is its own.
    assert call(other_tenant, "password/forgot", {"email": "x@example.com"}).status_code == 202


def test_a_client_without_verification_spends_no_quota_on_signup(transactional_db, smtp_server):
    """Only calls that may mail count: sign-ups of a client that mails nothing are not limited by it."""
    tenant = make_tenant("Quiet Co")
    tenant.client.rate_limits = {"mail_client": "1/h"}
    tenant.client.save()
    for n in range(3):
        sign_up(tenant, f"user{n}@example.com")
    assert smtp_server.messages == []
    assert call(tenant, "password/forgot", {"email": "user0@example.com"}).status_code == 202
    assert_rate_limited(call(tenant, "password/forgot", {"email": "user1@example.com"}))
    assert len(smtp_server.messages) == 1
