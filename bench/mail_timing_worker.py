"""Worker process of figure 6 (bench/mail_timing.py): the store's schema, the client and its
registered user, and the count of mails queued. The timed requests go to gunicorn over HTTP."""

import django

django.setup()

from django.core.management import call_command  # noqa: E402

from authsvc.wsgi import application  # noqa: E402
from bench.common import Channel, expect, wsgi_call  # noqa: E402
from delivery.jobs import delivery_queue  # noqa: E402
from delivery.models import Delivery  # noqa: E402
from tenants.services import client_register  # noqa: E402

REGISTERED, UNKNOWN = "registered@example.com", "unknown@example.com"


class MailTiming:
    def migrate(self) -> dict:
        call_command("migrate", interactive=False, verbosity=0)
        return {"ok": True}

    def setup(self) -> dict:
        # The stores share one Redis in a run: jobs the previous store's figure left queued (their
        # rows are in its database) would keep this store's worker busy forking for nothing.
        delivery_queue().empty()
        # Verification required: the registered user stays unverified, so resend mails it too.
        registered = client_register(client_name="Mail Bench", industry="SaaS", surface="bench", require_email_verification=True)
        client_id, key = str(registered.client.client_id), registered.access_key
        status, payload = wsgi_call(
            application,
            "POST",
            f"/api/v1/{client_id}/signup",
            {"email": REGISTERED, "password": "bench passphrase, long enough"},
            {"Authorization": f"Bearer {key}"},
        )
        expect(status, payload, 201)
        return {"client_id": client_id, "access_key": key, "registered": REGISTERED, "unknown": UNKNOWN}

    def queued(self) -> dict:
        # Mails to someone; stand-ins (no address) are the work an unknown email does, not mail.
        return {"queued": Delivery.objects.filter(kind="mail").exclude(target="").count()}


if __name__ == "__main__":
    timing = MailTiming()
    Channel().serve({name: getattr(timing, name) for name in ("migrate", "setup", "queued")})
