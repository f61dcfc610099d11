"""Races: N threads sign up one email; two clients refresh one token through a real HTTP server."""

import http.client
import json
from urllib.parse import urlsplit

import pytest
from django.db import connection
from rest_framework.test import APIClient

from tenants.user_models import user_model_for
from tests.accounts.conftest import PASSWORD, call, log_in, sign_up
from tests.concurrency import at_once
from tests.hardening.conftest import assert_json_error

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 8


def sign_up_until_answered(tenant, body: dict) -> list:
    """One client's signup, retried while it answers 503 (as a client honouring Retry-After would)."""
    api = APIClient()
    answers = [call(tenant, "signup", body, api=api)]
    while answers[-1].status_code == 503 and len(answers) < 20:
        answers.append(call(tenant, "signup", body, api=api))
    return answers


def test_threads_signing_up_one_email_at_once_create_exactly_one_user(tenant):
    """8 concurrent signups of one email: one 201, seven 409 `email_taken`, one row.

    On SQLite the threads share one in-memory database whose table locks can refuse a
    statement at once ("database table is locked"): that answer is a JSON 503 with
    Retry-After, and the retry gets the real answer. MongoDB never answers 503 here.
    """
    body = {"email": "ada@example.com", "password": PASSWORD}
    histories = at_once(THREADS, lambda: sign_up_until_answered(tenant, body))
    for answer in [answer for history in histories for answer in history[:-1]]:
        assert connection.vendor == "sqlite", answer.content
        assert_json_error(answer, 503, "service_unavailable")
        assert answer["Retry-After"].isdigit()
    finals = sorted(history[-1].status_code for history in histories)
    if finals != [201] + [409] * (THREADS - 1):
        # SQLite alone: a table lock refused the winner's token write after its user insert
        # (a 503), and its retry found the email taken. The account must still be usable.
        assert connection.vendor == "sqlite" and finals == [409] * THREADS, [h[-1].content[:200] for h in histories]
        assert call(tenant, "login", body).status_code == 200
    for history in histories:
        if history[-1].status_code == 409:
            assert_json_error(history[-1], 409, "email_taken")
    assert user_model_for(tenant.client.client_id).objects.filter(email="ada@example.com").count() == 1


def post_over_http(base_url: str, path: str, body: dict, headers: dict) -> tuple[int, dict]:
    """One POST over a real socket (a new connection each time), as a client backend would send it."""
    address = urlsplit(base_url)
    conn = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
    try:
        conn.request("POST", path, json.dumps(body), {"Content-Type": "application/json", **headers})
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        conn.close()


def test_two_http_clients_refreshing_one_token_at_once_get_exactly_one_new_pair(live_server, tenant):
    """Through the threaded HTTP server, five rounds: each time one 200 and one 401 `token_reused`."""
    headers = {"Authorization": f"Bearer {tenant.access_key}"}
    for round_number in range(5):
        session = log_in(sign_up(tenant, f"ada{round_number}@example.com"))
        body = {"refresh_token": session.refresh_token}
        outcomes = at_once(2, lambda body=body: post_over_http(live_server.url, tenant.url("token/refresh"), body, headers))
        assert sorted(status for status, _ in outcomes) == [200, 401], (round_number, outcomes)
        (loser,) = [answer for status, answer in outcomes if status == 401]
        assert loser["error"] == "token_reused"
