"""Micro-benchmark: the cost of one client snapshot round trip (tenants/key_cache.py).

Every API call whose key is remembered rebuilds its Client from the snapshot (`to_client`), so
this is on the hot path; `of` runs once per key lookup. Needs no database: the client is built in
memory. Not part of `make bench` (no ratio to keep); run it by hand before and after a change:

    .venv/bin/python -m bench.client_snapshot

It prints the median of REPEATS runs of NUMBER calls each, in microseconds per call.
"""

import os
import statistics
import timeit

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "authsvc.settings")
django.setup()

from django.utils import timezone  # noqa: E402

from tenants.key_cache import ClientSnapshot  # noqa: E402
from tenants.models import Client  # noqa: E402

NUMBER = 20_000
REPEATS = 7
SCHEMA = {"type": "object", "properties": {"plan": {"type": "string", "enum": ["free", "pro"]}}, "required": ["plan"]}


def sample_client() -> Client:
    client = Client(
        client_name="Acme",
        industry="SaaS",
        require_email_verification=True,
        custom_fields_schema=SCHEMA,
        rate_limits={"login_ip": "100/m"},
        updated_at=timezone.now(),
    )
    client._state.adding, client._state.db = False, "default"
    return client


def per_call_us(statement) -> float:
    runs = timeit.repeat(statement, number=NUMBER, repeat=REPEATS)
    return statistics.median(runs) / NUMBER * 1e6


def main() -> None:
    client = sample_client()
    snapshot = ClientSnapshot.of(client)
    print(f"ClientSnapshot.to_client: {per_call_us(snapshot.to_client):.2f} µs per call (median of {REPEATS} × {NUMBER:,})")
    print(f"ClientSnapshot.of:        {per_call_us(lambda: ClientSnapshot.of(client)):.2f} µs per call")


if __name__ == "__main__":
    main()
