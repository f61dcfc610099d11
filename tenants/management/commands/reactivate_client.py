"""manage.py reactivate_client <client_id>"""

from core.cli import service_errors
from core.commands import ActorCommand
from tenants.cli import resolve_client
from tenants.services import client_reactivate


class Command(ActorCommand):
    help = (
        "Reactivate a deactivated client: its access keys that were not revoked are accepted again, "
        "and its users can log in as before."
    )

    def add_arguments(self, parser):
        parser.add_argument("client_id")

    def handle(self, *args, **options):
        client = resolve_client(options["client_id"])
        was_active = client.is_active
        with service_errors():
            client_reactivate(client=client, request_meta=self.request_meta(options))
        if was_active:
            self.stdout.write(f"Client {client.client_name!r} ({client.client_id}) was already active.")
        else:
            self.stdout.write(self.style.SUCCESS(f"Reactivated client {client.client_name!r} ({client.client_id})."))
