"""The lockout's count is one for every process of a deployment (docs/api.md §6a): two production
servers (gunicorn, tests/production.py) on one database and one Redis share it, attempt by attempt
and when attempts race."""

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.production import production_server_running

pytestmark = pytest.mark.store_independent  # the count lives in Redis, whatever the store

PASSWORD = "Correct-horse-battery-staple-9"
WRONG = "Not-the-password-1"


@pytest.fixture
def two_servers(tmp_path):
    """Two production servers, one worker each, sharing the database, the Redis and the secrets in var/."""
    shared = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'shared.sqlite3'}",
        "AUTHSVC_VAR_DIR": str(tmp_path / "var"),
        "DJANGO_SECRET_KEY": "two-processes-" + uuid.uuid4().hex + uuid.uuid4().hex,
        "WEB_CONCURRENCY": "1",
    }
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    with production_server_running(tmp_path / "a", **shared) as first, production_server_running(tmp_path / "b", **shared) as second:
        yield first, second


def test_two_server_processes_share_one_count(two_servers):
    """Failures counted by either process lock the email on both; racing attempts spread over both get
    no more than max_failures password checks."""
    first, second = two_servers
    status, client = first.request(
        "POST", "/api/v1/clients/register", {"client_name": "Acme", "industry": "SaaS", "lockout": {"mode": "lock", "max_failures": 4}}
    )
    assert status == 201, client
    base, key = f"/api/v1/{client['client_id']}/", client["access_key"]
    assert first.request("POST", base + "signup", {"email": "ada@example.com", "password": PASSWORD}, key)[0] == 201

    def login(server, email: str, password: str = WRONG) -> tuple[int, str]:
        status, body = server.request("POST", base + "login", {"email": email, "password": password}, key)
        return status, body.get("error", "")

    assert [login(server, "ada@example.com")[0] for server in (first, second, first, second)] == [401] * 4
    assert login(second, "ada@example.com", PASSWORD) == login(first, "ada@example.com", PASSWORD) == (429, "login_locked")

    with ThreadPoolExecutor(max_workers=9) as pool:
        raced = list(pool.map(lambda server: login(server, "nobody@example.com"), [first, second] * 4 + [first]))
    assert sorted(raced) == [(401, "invalid_credentials")] * 4 + [(429, "login_locked")] * 5
