"""core.request_meta: who is behind a request, as audit records it."""

import pytest
from django.contrib.auth import get_user_model
from django.test import RequestFactory

from core.request_meta import staff_request_meta

pytestmark = pytest.mark.store_independent  # a request object only


def test_a_staff_action_is_recorded_from_the_staff_members_own_address():
    """X-End-User-IP/-Agent are a client backend's word, taken only with a valid access key: never from staff."""
    request = RequestFactory().post(
        "/admin/", REMOTE_ADDR="192.0.2.10", HTTP_USER_AGENT="staff browser", HTTP_X_END_USER_IP="203.0.113.9", HTTP_X_END_USER_AGENT="forged"
    )
    request.user = get_user_model()(pk=7, username="staff")
    meta = staff_request_meta(request)
    assert (meta.ip_address, meta.user_agent, meta.end_user_ip) == ("192.0.2.10", "staff browser", None)
    assert (meta.actor.username, meta.actor.via) == ("staff", "admin")
