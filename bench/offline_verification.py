"""Figure 8: a client backend checking an access token in its own process (the SDK's TokenVerifier,
offline) against asking our `token/verify` over HTTP (the SDK's AuthsvcClient.verify), in one run.

    .venv/bin/python bench/offline_verification.py [--store sqlite|mongodb|postgresql] [--rounds 7]

It starts the recommended server (gunicorn.conf.py, worker recycling off) on a free loopback port
with DEBUG off, registers a client (its own issuer), signs a user up and logs in once. Then, in this
process, as a client backend would: rounds of a batch of offline verifications (keys fetched once
before the rounds) and a batch of `token/verify` calls over one keep-alive connection, alternating
which goes first; and the SDK's online mode (the same local checks, then `token/verify`). Each call is
timed alone; the ratio is HTTP p50 over offline p50 of the same round.
"""

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "clients" / "python" / "src"))

from authsvc_client import AuthsvcClient  # noqa: E402
from authsvc_client.verification import TokenVerifier  # noqa: E402
from bench.common import log, spread  # noqa: E402
from bench.loadtest import Api, Recorder, start_gunicorn  # noqa: E402
from bench.mixed_load import server_env  # noqa: E402
from tests.stores import free_port, stop_all  # noqa: E402

WAYS = ("offline", "http", "online")


def session(port: int) -> tuple[str, str, str]:
    """A client on its own issuer and one access token: (client_id, access_key, access_token)."""
    api = Api(port, Recorder())
    status, client = api.post("register", "/api/v1/clients/register", {"client_name": "Offline", "industry": "SaaS", "token_issuer": "client"})
    if status != 201:
        raise RuntimeError(f"registration failed: {status} {client}")
    credentials = {"email": "offline@example.com", "password": "Offline verification passphrase 1"}
    status, signed_up = api.post("signup", f"/api/v1/{client['client_id']}/signup", credentials, client["access_key"])
    if status != 201:
        raise RuntimeError(f"sign-up failed: {status}")
    return client["client_id"], client["access_key"], signed_up["access_token"]


def timed(call, token: str, n: int) -> list[float]:
    latencies = []
    for _ in range(n):
        started = time.perf_counter()
        call(token)
        latencies.append(time.perf_counter() - started)
    return latencies


def measure(url: str, client_id: str, access_key: str, token: str, rounds: int, batches: dict[str, int]) -> list[dict]:
    offline = TokenVerifier(url, client_id)
    online = TokenVerifier(url, client_id, online=True, access_key=access_key)
    with AuthsvcClient(url, client_id, access_key, retries=0) as api:

        def over_http(value: str) -> None:
            if not api.verify(value).active:
                raise RuntimeError("token/verify said inactive")

        calls = {"offline": offline.verify, "http": over_http, "online": online.verify}
        for call in calls.values():  # warm-up: keys fetched, connections open, caches filled
            timed(call, token, 20)
        results = []
        for number in range(rounds):
            order = WAYS if number % 2 == 0 else tuple(reversed(WAYS))
            results.append({way: timed(calls[way], token, batches[way]) for way in order})
    if offline.key_fetches != 1:
        raise RuntimeError(f"the offline verifier fetched the keys {offline.key_fetches} times")
    return results


def run(store: str, rounds: int, offline_batch: int, http_batch: int) -> dict:
    scratch = Path(tempfile.mkdtemp(prefix="authsvc-offline-"))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    # The issuer and the discovery documents' jwks_uri are this server's URL.
    env = dict(server_env(store, scratch), AUTHSVC_PUBLIC_URL=url, AUTHSVC_RATE_ACCESS_KEY="100000000/m")
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    server = start_gunicorn(env, port, "recommended", extra=("--max-requests", "0"))
    try:
        client_id, access_key, token = session(port)
        results = measure(url, client_id, access_key, token, rounds, {"offline": offline_batch, "http": http_batch, "online": http_batch})
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(scratch, ignore_errors=True)
    return summarise(store, results)


def summarise(store: str, results: list[dict]) -> dict:
    p50 = {way: [statistics.median(item[way]) for item in results] for way in WAYS}
    ratios = [http / offline for http, offline in zip(p50["http"], p50["offline"], strict=True)]
    report: dict = {
        "store": store,
        "rounds": len(results),
        "calls_per_batch": {way: len(results[0][way]) for way in WAYS},
        "offline_p50_us": spread([value * 1e6 for value in p50["offline"]], 1),
        "offline_per_second": spread([1 / value for value in p50["offline"]], 0),
        "http_p50_ms": spread([value * 1e3 for value in p50["http"]], 3),
        "online_p50_ms": spread([value * 1e3 for value in p50["online"]], 3),
        "http_over_offline": spread(ratios, 1),
    }
    # Reported, not a goal: the ratio is the price of a round trip a client backend may skip.
    report["goal"] = {"met": None}
    return report


def figure(store: str, scratch: Path, *, rounds: int, offline_batch: int, http_batch: int) -> dict:
    """For bench/run.py: this script in a process of its own, which stops what it started."""
    output = scratch / f"offline-{store}.json"
    command = [
        sys.executable, __file__, "--store", store, "--rounds", str(rounds), "--offline-batch", str(offline_batch),
        "--http-batch", str(http_batch), "--json", str(output),
    ]
    completed = subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL)
    if not output.exists():
        return {"error": f"offline_verification.py exited with code {completed.returncode} and no report"}
    report = json.loads(output.read_text())
    log(
        f"  offline p50 {report['offline_p50_us']['median']} µs, token/verify over HTTP p50 {report['http_p50_ms']['median']} ms, "
        f"online mode p50 {report['online_p50_ms']['median']} ms: HTTP/offline {report['http_over_offline']}"
    )
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", choices=["sqlite", "mongodb", "postgresql"], default="sqlite")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--offline-batch", type=int, default=2000)
    parser.add_argument("--http-batch", type=int, default=200)
    parser.add_argument("--json", type=Path, help="also write the report here")
    args = parser.parse_args()
    try:
        report = run(args.store, args.rounds, args.offline_batch, args.http_batch)
    finally:
        stop_all()
    print(json.dumps(report, indent=2))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
