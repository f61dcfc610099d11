"""The embedded default's rate limits: a real Redis that every process on the machine shares.

Without REDIS_URL the counters live in a redis-server on a socket in AUTHSVC_VAR_DIR, started
by whichever process needs it first. These tests start it in a temporary directory and stop it.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from tests.accounts.conftest import call
from tests.authsvc.conftest import STRONG_KEY

PUBLIC_URL = "http://127.0.0.1:8000"  # DEBUG is off in these processes: production needs it

PRINT_CACHES = """
import json, django
django.setup()
from django.conf import settings
print(json.dumps(settings.CACHES))
"""

USE_THE_CACHE = """
import django
django.setup()
from django.core.cache import cache
cache.set("probe", 1)
assert cache.get("probe") == 1
"""

START_AND_DESCRIBE = """
import json, sys
import redis
from authsvc.embedded_redis import ensure_embedded_redis, socket_path
ensure_embedded_redis(sys.argv[1])
server = redis.Redis(unix_socket_path=str(socket_path(sys.argv[1])))
print(json.dumps({"run_id": server.info("server")["run_id"], **server.config_get("maxmemory-policy")}))
"""


def redis_servers_serving(var_dir: Path) -> list[str]:
    """Running redis-server processes whose socket is in `var_dir`."""
    found = []
    for process in Path("/proc").iterdir():
        try:
            command_line = (process / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, ValueError):
            continue
        if "redis-server" in command_line and f"{var_dir}/redis.sock" in command_line:
            found.append(process.name)
    return found


@pytest.mark.store_independent  # what fills and evicts is Redis; the rows are incidental
@pytest.mark.django_db(transaction=True)
def test_without_redis_url_one_clients_traffic_never_resets_another_clients_login_counter(
    tenant, other_tenant, run_django, var_dir, settings
):
    """330 password/forgot calls of client B leave client A's login counter intact: A's 4th try at 3/h is a 429."""
    printed = run_django("-c", PRINT_CACHES, DJANGO_SECRET_KEY=STRONG_KEY, AUTHSVC_PUBLIC_URL=PUBLIC_URL)  # no REDIS_URL: the embedded default
    assert printed.returncode == 0, printed.stderr
    settings.CACHES = json.loads(printed.stdout.strip().splitlines()[-1])
    tenant.client.rate_limits = {"login_email": "3/h"}
    tenant.client.save()
    other_tenant.client.rate_limits = {"mail_client": "1000/h"}  # B's own mail quota is not what is tested
    other_tenant.client.save()
    victim = {"email": "victim@example.com", "password": "Wrong-password-123"}

    for _ in range(2):
        assert call(tenant, "login", victim).status_code == 401
    for n in range(330):
        assert call(other_tenant, "password/forgot", {"email": f"flood{n}@example.com"}).status_code == 202
    assert call(tenant, "login", victim).status_code == 401
    assert call(tenant, "login", victim).status_code == 429


@pytest.mark.embedded_default
def test_a_process_without_redis_url_starts_the_embedded_server_and_one_with_it_does_not(run_django, var_dir, tmp_path):
    """A first cache call with REDIS_URL unset starts redis-server on var/redis.sock; with REDIS_URL set, nothing starts."""
    embedded = run_django("-c", USE_THE_CACHE, DJANGO_SECRET_KEY=STRONG_KEY, AUTHSVC_PUBLIC_URL=PUBLIC_URL)
    assert embedded.returncode == 0, embedded.stderr
    assert len(redis_servers_serving(var_dir)) == 1

    other_var_dir = tmp_path / "other-var"
    configured = run_django(
        "-c",
        USE_THE_CACHE,
        DJANGO_SECRET_KEY=STRONG_KEY,
        AUTHSVC_PUBLIC_URL=PUBLIC_URL,
        AUTHSVC_VAR_DIR=str(other_var_dir),
        REDIS_URL=os.environ["REDIS_URL"],
    )
    assert configured.returncode == 0, configured.stderr
    assert not (other_var_dir / "redis.sock").exists()
    assert redis_servers_serving(other_var_dir) == []


@pytest.mark.embedded_default
def test_two_processes_starting_the_embedded_server_at_once_share_one_that_never_evicts(var_dir):
    """Concurrent starts end with one redis-server, whose memory policy refuses writes rather than drop counters."""
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", START_AND_DESCRIBE, str(var_dir)],
            cwd=django_settings.BASE_DIR,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=60) for process in processes]

    assert [process.returncode for process in processes] == [0, 0], outputs
    described = [json.loads(stdout) for stdout, _ in outputs]
    assert described[0]["run_id"] == described[1]["run_id"]
    assert described[0]["maxmemory-policy"] == "noeviction"
    assert len(redis_servers_serving(var_dir)) == 1
