"""Worker process of figure 9 (bench/transfer.py): one client, then a timed import of an NDJSON file of
bcrypt hashes (no hashing: the hashes are stored as they are), the same file again (every line a
duplicate: what resuming an import costs), and exports through the flow and through the API."""

import django

django.setup()

import time  # noqa: E402

from django.core.management import call_command  # noqa: E402

from accounts.flows.user_export import users_export  # noqa: E402
from accounts.flows.user_import import users_import  # noqa: E402
from authsvc.wsgi import application  # noqa: E402
from bench.common import Channel, rss_bytes, wsgi_call  # noqa: E402
from tenants.services import client_register  # noqa: E402


class Transfer:
    def __init__(self) -> None:
        self.client = None
        self.access_key = ""

    def migrate(self) -> dict:
        call_command("migrate", interactive=False, verbosity=0)
        return {"ok": True}

    def setup(self) -> dict:
        registered = client_register(client_name="Transfer Bench", industry="SaaS", surface="bench")
        self.client, self.access_key = registered.client, registered.access_key
        return {"client_id": str(self.client.client_id)}

    def import_file(self, path: str, batch_size: int) -> dict:
        started = time.perf_counter()
        with open(path, "rb") as lines:
            report = users_import(client=self.client, records=enumerate(lines, start=1), source="command", batch_size=batch_size)
        seconds = time.perf_counter() - started
        return {"seconds": seconds, "created": report.created, "duplicates": report.duplicates, "invalid": report.invalid}

    def export(self) -> dict:
        rss_before = rss_bytes()
        started = time.perf_counter()
        count = sum(1 for _ in users_export(client=self.client, include_hashes=True, source="command"))
        return {"seconds": time.perf_counter() - started, "count": count, "rss_growth": rss_bytes() - rss_before}

    def export_api(self) -> dict:
        started = time.perf_counter()
        status, body = wsgi_call(
            application, "GET", f"/api/v1/{self.client.client_id}/users/export", headers={"Authorization": f"Bearer {self.access_key}"}
        )
        return {"seconds": time.perf_counter() - started, "status": status, "count": body.count(b"\n")}


if __name__ == "__main__":
    transfer = Transfer()
    Channel().serve({name: getattr(transfer, name) for name in ("migrate", "setup", "import_file", "export", "export_api")})
