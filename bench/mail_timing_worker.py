"""Worker process of figure 6 (bench/mail_timing.py): forgot/resend for a registered and an unknown email."""

import time

import django

django.setup()

from django.core.management import call_command  # noqa: E402

from accounts.models import OutboundMail  # noqa: E402
from authsvc.wsgi import application  # noqa: E402
from bench.common import Channel, expect, wsgi_call  # noqa: E402
from tenants.services import client_register  # noqa: E402

REGISTERED, UNKNOWN = "registered@example.com", "unknown@example.com"
PATHS = {"forgot": "password/forgot", "resend": "email/resend"}


class MailTiming:
    def __init__(self) -> None:
        self.client_id = self.key = ""

    def migrate(self) -> dict:
        call_command("migrate", interactive=False, verbosity=0)
        return {"ok": True}

    def setup(self) -> dict:
        # Verification required: the registered user stays unverified, so resend mails it too.
        registered = client_register(client_name="Mail Bench", industry="SaaS", surface="bench", require_email_verification=True)
        self.client_id, self.key = str(registered.client.client_id), registered.access_key
        self._post("signup", {"email": REGISTERED, "password": "bench passphrase, long enough"}, 201)
        return {"client_id": self.client_id}

    def _post(self, path: str, body: dict, wanted: int) -> dict:
        status, payload = wsgi_call(
            application, "POST", f"/api/v1/{self.client_id}/{path}", body, {"Authorization": f"Bearer {self.key}"}
        )
        return expect(status, payload, wanted)

    def _timed(self, path: str, email: str) -> float:
        started = time.perf_counter()
        self._post(path, {"email": email}, 202)
        return time.perf_counter() - started

    def forgot(self, pairs: int) -> dict:
        return self._alternate(PATHS["forgot"], pairs)

    def resend(self, pairs: int) -> dict:
        return self._alternate(PATHS["resend"], pairs)

    def _alternate(self, path: str, pairs: int) -> dict:
        registered, unknown = [], []
        for n in range(pairs):
            order = ((REGISTERED, registered), (UNKNOWN, unknown))
            for email, into in order if n % 2 == 0 else reversed(order):
                into.append(self._timed(path, email))
        return {"registered": registered, "unknown": unknown}

    def queued(self) -> dict:
        return {"queued": OutboundMail.objects.count()}


if __name__ == "__main__":
    timing = MailTiming()
    Channel().serve({name: getattr(timing, name) for name in ("migrate", "setup", "forgot", "resend", "queued")})
