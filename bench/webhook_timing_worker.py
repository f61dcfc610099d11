"""Worker process of figure 8 (bench/webhook_timing.py): the store's schema, three clients (one whose
webhook reaches the figure's receiver, one whose webhook is dead, one without any) and a user each to
log in. The timed requests go to gunicorn over HTTP."""

import django

django.setup()

from django.core.management import call_command  # noqa: E402

from accounts.flows.signup import user_signup  # noqa: E402
from bench.common import Channel  # noqa: E402
from delivery.jobs import delivery_queue  # noqa: E402
from delivery.models import Delivery  # noqa: E402
from tenants.services import client_register  # noqa: E402
from webhooks.services import webhook_create  # noqa: E402
from webhooks.subscriptions import webhook_subscriptions  # noqa: E402

PASSWORD = "bench passphrase, long enough"


class WebhookTiming:
    def migrate(self) -> dict:
        call_command("migrate", interactive=False, verbosity=0)
        return {"ok": True}

    def setup(self, receiver_url: str, dead_url: str) -> dict:
        # Jobs a previous store's figure left in the shared Redis name rows of its own database.
        delivery_queue().empty()
        clients = {}
        for name, url in (("hooked", receiver_url), ("dead", dead_url), ("none", None)):
            registered = client_register(client_name=f"Webhook Bench {name}", industry="SaaS", surface="bench")
            client, email = registered.client, f"{name}@example.com"
            user_signup(client=client, email=email, password=PASSWORD)  # before the webhook: no message for it
            if url:
                webhook_create(client=client, url=url, events=["user.created", "user.login"])
            clients[name] = {"client_id": str(client.client_id), "access_key": registered.access_key, "email": email, "password": PASSWORD}
        webhook_subscriptions.clear()
        return clients

    def counts(self) -> dict:
        rows = Delivery.objects.filter(kind="webhook")
        return {status: rows.filter(status=status).count() for status in ("pending", "sending", "sent", "failed", "discarded")}


if __name__ == "__main__":
    timing = WebhookTiming()
    Channel().serve({name: getattr(timing, name) for name in ("migrate", "setup", "counts")})
