"""core.admin: what every app's admin shares."""

import pytest
from django.test import RequestFactory

from core.admin import staff_request_meta

pytestmark = pytest.mark.store_independent  # a request object only


def test_a_staff_action_is_recorded_from_the_staff_members_own_address():
    """X-End-User-IP/-Agent are a client backend's word, taken only with a valid access key: never from staff."""
    request = RequestFactory().post(
        "/admin/", REMOTE_ADDR="192.0.2.10", HTTP_USER_AGENT="staff browser", HTTP_X_END_USER_IP="203.0.113.9", HTTP_X_END_USER_AGENT="forged"
    )
    meta = staff_request_meta(request)
    assert (meta.ip_address, meta.user_agent, meta.end_user_ip) == ("192.0.2.10", "staff browser", None)
