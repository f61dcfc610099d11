"""Worker process for the peer (bench.peer.settings): the same commands as bench/ours_worker.py."""

import time

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.db import connections  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from rest_framework_simplejwt.tokens import RefreshToken  # noqa: E402

from bench.common import Channel, expect, rss_bytes, wsgi_call  # noqa: E402

application = get_wsgi_application()


class Peer:
    def __init__(self) -> None:
        self.refresh_token = ""
        self.access_token = ""

    def migrate(self) -> dict:
        call_command("migrate", run_syncdb=True, interactive=False, verbosity=0)
        return {"ok": True}

    def setup(self) -> dict:
        user = get_user_model().objects.create_user("bench", "bench@example.com", "bench passphrase, long enough")
        refresh = RefreshToken.for_user(user)  # recorded as outstanding, as a login would
        self.refresh_token, self.access_token = str(refresh), str(refresh.access_token)
        return {"rss": rss_bytes()}

    def _post(self, path: str, body: dict) -> dict:
        status, payload = wsgi_call(application, "POST", path, body)
        return expect(status, payload, 200)

    def refresh(self, n: int) -> dict:
        latencies = []
        for _ in range(n):
            started = time.perf_counter()
            body = self._post("/api/token/refresh/", {"refresh": self.refresh_token})
            latencies.append(time.perf_counter() - started)
            self.refresh_token, self.access_token = body["refresh"], body["access"]
        return {"latencies": latencies}

    def verify(self, n: int) -> dict:
        latencies = []
        for _ in range(n):
            started = time.perf_counter()
            self._post("/api/token/verify/", {"token": self.access_token})
            latencies.append(time.perf_counter() - started)
        return {"latencies": latencies}

    def queries(self) -> dict:
        counts = {}
        for name, action in (("refresh", lambda: self.refresh(1)), ("verify", lambda: self.verify(1))):
            with CaptureQueriesContext(connections["default"]) as captured:
                action()
            counts[name] = {"queries": len(captured.captured_queries)}
        return counts


if __name__ == "__main__":
    peer = Peer()
    Channel().serve({name: getattr(peer, name) for name in ("migrate", "setup", "refresh", "verify", "queries")})
