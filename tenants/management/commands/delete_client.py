"""manage.py delete_client <client_id> --yes"""

from django.core.management.base import CommandError

from core.cli import service_errors
from core.commands import ActorCommand
from tenants.cli import resolve_client
from tenants.services import client_delete
from tenants.user_models import users_table_name


class Command(ActorCommand):
    help = "Delete a client, its access keys and its users collection. Irreversible: needs --yes."

    def add_arguments(self, parser):
        parser.add_argument("client_id")
        parser.add_argument("--yes", action="store_true", help="Confirm the deletion; without it nothing is deleted.")

    def handle(self, *args, **options):
        client = resolve_client(options["client_id"])
        label = f"{client.client_name!r} ({client.client_id})"
        table = users_table_name(client.client_id)
        if not options["yes"]:
            raise CommandError(
                f"Refusing to delete client {label} without --yes: it drops the collection "
                f"{table} with all its users, and its access keys. Nothing was deleted."
            )
        with service_errors():
            client_delete(client=client, confirm=True, request_meta=self.request_meta(options))
        self.stdout.write(self.style.SUCCESS(f"Deleted client {label}, its access keys and its collection {table}."))
