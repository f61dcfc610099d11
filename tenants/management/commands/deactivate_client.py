"""manage.py deactivate_client <client_id>"""

from core.cli import service_errors
from core.commands import ActorCommand
from tenants.cli import resolve_client
from tenants.services import client_deactivate


class Command(ActorCommand):
    help = "Deactivate a client: its access keys are refused from now on; its users and keys are kept."

    def add_arguments(self, parser):
        parser.add_argument("client_id")

    def handle(self, *args, **options):
        client = resolve_client(options["client_id"])
        was_active = client.is_active
        with service_errors():
            client_deactivate(client=client, request_meta=self.request_meta(options))
        if was_active:
            self.stdout.write(self.style.SUCCESS(f"Deactivated client {client.client_name!r} ({client.client_id})."))
        else:
            self.stdout.write(f"Client {client.client_name!r} ({client.client_id}) was already inactive.")
