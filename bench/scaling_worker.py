"""Worker process for figure 3 (tenant scaling): provisioning, per-request latency, RSS.

`provision` registers clients through the same service the API uses (client row, access
key, users collection with its unique email index, audit record) and appends each
client's id and key to a file that later processes read. `measure` runs in a fresh
process whose model cache size is AUTHSVC_USER_MODEL_CACHE_SIZE: it first touches many
distinct clients (each one's user model and a lookup in its collection, as every request
of that client does) and reads the RSS, then times login, refresh and verify through the
whole WSGI stack, each sample on a client picked at random, after a first call that
looks its access key up in the store.
"""

import gc
import json
import time
import uuid

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402

from accounts.selectors import user_find_by_email  # noqa: E402
from authsvc.wsgi import application  # noqa: E402
from bench.common import Channel, expect, rss_bytes, seeded_random, wsgi_call  # noqa: E402
from tenants.key_cache import access_key_cache  # noqa: E402
from tenants.models import Client  # noqa: E402
from tenants.services import client_register  # noqa: E402
from tenants.user_models import user_model_cache  # noqa: E402

PASSWORD = "bench passphrase, long enough"


def _post(client: dict, path: str, body: dict, wanted: int) -> dict:
    status, payload = wsgi_call(
        application, "POST", f"/api/v1/{client['client_id']}/{path}", body, {"Authorization": f"Bearer {client['key']}"}
    )
    return expect(status, payload, wanted)


def _timed_post(client: dict, path: str, body: dict, wanted: int = 200) -> tuple[float, dict]:
    started = time.perf_counter()
    answer = _post(client, path, body, wanted)
    return time.perf_counter() - started, answer


class Scaling:
    def __init__(self) -> None:
        self.random = seeded_random()

    def migrate(self) -> dict:
        call_command("migrate", interactive=False, verbosity=0)
        return {"ok": True}

    def provision(self, upto: int, keys_path: str, budget_seconds: float) -> dict:
        """Register clients until there are `upto`, or the time budget is spent."""
        have = Client.objects.count()
        seconds: list[float] = []
        started = time.perf_counter()
        with open(keys_path, "a") as keys:
            while have < upto and time.perf_counter() - started < budget_seconds:
                began = time.perf_counter()
                registered = client_register(client_name=f"Tenant {have}", industry="SaaS", surface="bench")
                seconds.append(time.perf_counter() - began)
                keys.write(json.dumps({"client_id": str(registered.client.client_id), "key": registered.access_key}) + "\n")
                have += 1
        return {"clients": have, "provisioned": len(seconds), "seconds": seconds}

    def measure(self, keys_path: str, sweep: int, samples: int, budget_seconds: float) -> dict:
        with open(keys_path) as keys:
            clients = [json.loads(line) for line in keys]
        self._warm_up(clients[0])
        gc.collect()
        rss_before = rss_bytes()
        touched = self.random.sample(clients, min(sweep, len(clients)))
        sweep_started = time.perf_counter()
        for client in touched:
            # What every request of a client does first: its model (from the cache) and a lookup.
            user_find_by_email(client=Client(client_id=uuid.UUID(client["client_id"])), email="nobody@example.com")
        sweep_seconds = time.perf_counter() - sweep_started
        gc.collect()
        rss_after = rss_bytes()
        latencies = self._latencies(clients, samples, budget_seconds)
        return {
            "clients": len(clients),
            "cache_size": settings.AUTHSVC_USER_MODEL_CACHE_SIZE,
            "touched": len(touched),
            "sweep_seconds": sweep_seconds,
            "models_cached": len(user_model_cache),
            "models_built": user_model_cache.builds,
            "rss_before": rss_before,
            "rss_after": rss_after,
            "rss_end": rss_bytes(),
            "latencies": latencies,
        }

    def _warm_up(self, client: dict) -> None:
        """Import and initialise the whole stack without an access-key lookup (slow on SecantusDB at scale)."""
        status, _ = wsgi_call(
            application, "POST", f"/api/v1/{client['client_id']}/login", {"email": "a@example.com", "password": PASSWORD},
            {"Authorization": "Bearer not-a-key"},
        )
        if status != 401:
            raise RuntimeError(f"warm-up answered {status}")
        user_find_by_email(client=Client(client_id=uuid.UUID(client["client_id"])), email="nobody@example.com")

    def _latencies(self, clients: list[dict], samples: int, budget_seconds: float) -> dict[str, list[float]]:
        """A first call, then login, refresh and verify of a new user, on a client picked at random.

        The first call (GET /api/v1/<client_id>/) finds the key in the store: the process
        remembers keys for AUTHSVC_ACCESS_KEY_CACHE_SECONDS, so the calls after it do not.
        """
        latencies: dict[str, list[float]] = {"first_call": [], "login": [], "refresh": [], "verify": []}
        started = time.perf_counter()
        while len(latencies["login"]) < samples and (
            len(latencies["login"]) < 3 or time.perf_counter() - started < budget_seconds
        ):
            client = self.random.choice(clients)
            access_key_cache.clear()
            began = time.perf_counter()
            status, payload = wsgi_call(
                application, "GET", f"/api/v1/{client['client_id']}/", None, {"Authorization": f"Bearer {client['key']}"}
            )
            latencies["first_call"].append(time.perf_counter() - began)
            expect(status, payload, 200)
            email = f"u-{uuid.uuid4().hex[:12]}@example.com"
            _post(client, "signup", {"email": email, "password": PASSWORD}, 201)
            seconds, pair = _timed_post(client, "login", {"email": email, "password": PASSWORD})
            latencies["login"].append(seconds)
            seconds, pair = _timed_post(client, "token/refresh", {"refresh_token": pair["refresh_token"]})
            latencies["refresh"].append(seconds)
            seconds, _ = _timed_post(client, "token/verify", {"token": pair["access_token"]})
            latencies["verify"].append(seconds)
        return latencies

if __name__ == "__main__":
    scaling = Scaling()
    Channel().serve({name: getattr(scaling, name) for name in ("migrate", "provision", "measure")})
